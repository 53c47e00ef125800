import { useT } from "../i18n/i18n-context.tsx";

interface PagerProps {
  hasPrevious: boolean;
  hasNext: boolean;
  onPrevious: () => void;
  onNext: () => void;
  label: string;
}

/** Previous/next over the API's iterators: pages are never counted. */
export function Pager({ hasPrevious, hasNext, onPrevious, onNext, label }: PagerProps) {
  const t = useT();
  if (!hasPrevious && !hasNext) return null;
  return (
    <nav className="pager" aria-label={label}>
      <button type="button" className="btn" disabled={!hasPrevious} onClick={onPrevious}>
        {t("common.previousPage")}
      </button>
      <button type="button" className="btn" disabled={!hasNext} onClick={onNext}>
        {t("common.nextPage")}
      </button>
    </nav>
  );
}
