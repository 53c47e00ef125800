import { useState } from "react";
import { Redirect, Route, Switch, useParams } from "wouter";

import { useT } from "../i18n/i18n-context.tsx";
import { ActivityPage } from "../screens/activity/activity-page.tsx";
import { EventCatalog } from "../screens/catalog/event-catalog.tsx";
import { EndpointDetail, type EndpointTab } from "../screens/endpoints/endpoint-detail.tsx";
import { EndpointFormPage } from "../screens/endpoints/endpoint-form.tsx";
import { EndpointsList } from "../screens/endpoints/endpoints-list.tsx";
import { MessageDetail } from "../screens/messages/message-detail.tsx";
import { EMPTY_FILTER, type LogFilter } from "../screens/messages/message-filter.ts";
import { MessagesLog } from "../screens/messages/messages-log.tsx";

/**
 * Lists and their detail share one mounted area (`nest`), so at 1,440 px the list stays beside the
 * detail (master-detail) and keeps its page and filters; narrow screens show one at a time.
 */
function EndpointsArea() {
  const t = useT();
  const params = useParams<{ "*"?: string }>();
  const [first, second] = (params["*"] ?? "").split("/").filter(Boolean);
  const detailId = first && first !== "new" ? first : undefined;
  const tab: EndpointTab = second === "testing" || second === "advanced" ? second : "overview";
  let detail = <p className="muted placeholder">{t("endpoints.pick")}</p>;
  if (first === "new") detail = <EndpointFormPage />;
  else if (detailId && second === "edit") detail = <EndpointFormPage endpointId={detailId} />;
  else if (detailId) detail = <EndpointDetail key={detailId} endpointId={detailId} tab={tab} />;
  return (
    <div className={`master-detail${first ? " has-detail" : ""}`}>
      <div className="master">
        <EndpointsList selectedId={detailId} />
      </div>
      <div className="detail">{detail}</div>
    </div>
  );
}

function MessagesArea() {
  const t = useT();
  const params = useParams<{ "*"?: string }>();
  const [filter, setFilter] = useState<LogFilter>(EMPTY_FILTER);
  const msgId = (params["*"] ?? "").split("/").filter(Boolean)[0];
  return (
    <div className={`master-detail${msgId ? " has-detail" : ""}`}>
      <div className="master">
        <MessagesLog filter={filter} onFilterChange={setFilter} selectedId={msgId} />
      </div>
      <div className="detail">{msgId ? <MessageDetail key={msgId} msgId={msgId} /> : <p className="muted placeholder">{t("messages.pick")}</p>}</div>
    </div>
  );
}

function NotFound() {
  const t = useT();
  return (
    <section className="page">
      <h1>{t("errors.pageNotFound")}</h1>
    </section>
  );
}

export function AppRoutes() {
  return (
    <Switch>
      <Route path="/">
        <Redirect to="/endpoints" replace />
      </Route>
      <Route path="/endpoints/*?" component={EndpointsArea} />
      <Route path="/messages/*?" component={MessagesArea} />
      <Route path="/event-types" component={EventCatalog} />
      <Route path="/activity" component={ActivityPage} />
      <Route component={NotFound} />
    </Switch>
  );
}
