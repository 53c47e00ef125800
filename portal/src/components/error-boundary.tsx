import { Component, type ReactNode } from "react";

interface Props {
  /** Shown instead of the children after a render error (already translated by the caller). */
  fallback: (reset: () => void) => ReactNode;
  children: ReactNode;
}

/** Keeps one broken screen from blanking the whole portal. */
export class ErrorBoundary extends Component<Props, { failed: boolean }> {
  override state = { failed: false };

  static getDerivedStateFromError(): { failed: boolean } {
    return { failed: true };
  }

  override render() {
    return this.state.failed ? this.props.fallback(() => this.setState({ failed: false })) : this.props.children;
  }
}
