/**
 * svix-react's `<AppPortal fullSize>` sizes its iframe from
 * `{type: "svix.iframe-resizer-height", payload: {height}}` messages posted by the page inside it.
 */
export function reportHeightToParent(): () => void {
  if (window.parent === window) return () => {};
  let last = -1;
  const post = () => {
    const height = Math.ceil(document.documentElement.getBoundingClientRect().height);
    if (height === last) return;
    last = height;
    window.parent.postMessage({ type: "svix.iframe-resizer-height", payload: { height } }, "*");
  };
  const observer = new ResizeObserver(post);
  observer.observe(document.documentElement);
  observer.observe(document.body);
  post();
  return () => observer.disconnect();
}
