/** Inline icons: no icon font to load, and they render the same on every machine. */
const base = { width: 16, height: 16, viewBox: '0 0 24 24', fill: 'none', stroke: 'currentColor', strokeWidth: 2, strokeLinecap: 'round', strokeLinejoin: 'round' } as const;

export function PaperclipIcon() {
  return (
    <svg {...base} aria-hidden="true">
      <path d="M21 11.5 12.5 20a5 5 0 0 1-7-7L14 4.5a3.5 3.5 0 0 1 5 5L10.5 18a2 2 0 0 1-3-3L15 7.5" />
    </svg>
  );
}

export function DocumentIcon() {
  return (
    <svg {...base} width={24} height={24} aria-hidden="true">
      <path d="M14 3H7a2 2 0 0 0-2 2v14a2 2 0 0 0 2 2h10a2 2 0 0 0 2-2V8z" />
      <path d="M14 3v5h5M9 13h6M9 17h6" />
    </svg>
  );
}

export function BackIcon() {
  return (
    <svg {...base} width={20} height={20} aria-hidden="true">
      <path d="M15 18l-6-6 6-6" />
    </svg>
  );
}
