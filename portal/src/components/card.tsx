import { type ReactNode, useId } from "react";

interface CardProps {
  title: string;
  actions?: ReactNode;
  children: ReactNode;
  description?: ReactNode;
}

/** A titled region of a screen: a landmark named by its heading. */
export function Card({ title, actions, children, description }: CardProps) {
  const headingId = useId();
  return (
    <section className="card" aria-labelledby={headingId}>
      <header className="card-header">
        <h2 id={headingId}>{title}</h2>
        {actions && <div className="card-actions">{actions}</div>}
      </header>
      {description && <p className="muted card-description">{description}</p>}
      {children}
    </section>
  );
}
