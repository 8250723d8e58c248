import { afterEach } from 'vitest';

// Pure-logic tests run in node (// @vitest-environment node); the rest get jsdom plus what it lacks.
if (typeof window !== 'undefined') {
  const { cleanup } = await import('@testing-library/react');
  afterEach(() => cleanup());

  // jsdom lacks the browser APIs Mantine measures layout and colour scheme with.
  window.matchMedia ??= (query: string) =>
    ({
      matches: false,
      media: query,
      onchange: null,
      addListener: () => undefined,
      removeListener: () => undefined,
      addEventListener: () => undefined,
      removeEventListener: () => undefined,
      dispatchEvent: () => false,
    }) as MediaQueryList;

  class NoopResizeObserver {
    observe(): void {}
    unobserve(): void {}
    disconnect(): void {}
  }
  window.ResizeObserver ??= NoopResizeObserver;
  window.HTMLElement.prototype.scrollIntoView ??= () => undefined;
  window.scrollTo = () => undefined;
  // Autosizing textareas re-measure when web fonts load.
  if (!('fonts' in document)) {
    Object.defineProperty(document, 'fonts', { value: { addEventListener: () => undefined, removeEventListener: () => undefined, ready: Promise.resolve() } });
  }
}
