import { useEffect, useMemo, useRef, useState } from 'react';
import { catalogueStore, categoryColor, type CatalogueEntry } from '../catalogue.ts';
import { useStore } from '../store.ts';

const MAX_RESULTS = 8;

/** Catalogue blocks matching `query` on type, title and category; better matches first. */
export function quickMatches(list: readonly CatalogueEntry[], query: string): CatalogueEntry[] {
  const words = query.toLowerCase().split(/\s+/).filter(Boolean);
  const scored: { entry: CatalogueEntry; score: number; i: number }[] = [];
  list.forEach((entry, i) => {
    const type = entry.type.toLowerCase();
    const title = entry.title.toLowerCase();
    const hay = `${type} ${title} ${entry.category.toLowerCase()}`;
    if (!words.every((w) => hay.includes(w))) return;
    const q = words.join(' ');
    const last = type.split('.').pop() ?? type;
    const score = !q ? 0 : last === q || title === q ? 0 : last.startsWith(q) || title.startsWith(q) ? 1 : type.includes(q) || title.includes(q) ? 2 : 3;
    scored.push({ entry, score, i });
  });
  scored.sort((a, b) => a.score - b.score || a.i - b.i);
  return scored.slice(0, MAX_RESULTS).map((s) => s.entry);
}

/** The floating search box that inserts a block where it was opened. */
export function QuickInsert({ x, y, onInsert, onClose }: { x: number; y: number; onInsert: (type: string) => void; onClose: () => void }) {
  const catalogue = useStore(catalogueStore, (s) => s.catalogue);
  const [query, setQuery] = useState('');
  const [active, setActive] = useState(0);
  const input = useRef<HTMLInputElement>(null);
  const results = useMemo(() => quickMatches(catalogue?.list ?? [], query), [catalogue, query]);
  useEffect(() => input.current?.focus(), []);
  useEffect(() => setActive(0), [query]);
  const current = Math.min(active, Math.max(0, results.length - 1));

  return (
    <div
      className="quick-insert"
      data-testid="quick-insert"
      role="dialog"
      aria-label="Insert a block"
      style={{ left: x, top: y }}
      onMouseDown={(e) => e.stopPropagation()}
      onDoubleClick={(e) => e.stopPropagation()}
      onBlur={(e) => {
        if (!e.currentTarget.contains(e.relatedTarget as Node | null)) onClose();
      }}
    >
      <input
        ref={input}
        type="search"
        aria-label="Insert block"
        placeholder="Insert block…"
        value={query}
        role="combobox"
        aria-expanded
        aria-controls="quick-insert-list"
        aria-activedescendant={results[current] ? `quick-insert-opt-${current}` : undefined}
        onChange={(e) => setQuery(e.target.value)}
        onKeyDown={(e) => {
          if (e.key === 'ArrowDown') {
            e.preventDefault();
            if (results.length) setActive((current + 1) % results.length);
          } else if (e.key === 'ArrowUp') {
            e.preventDefault();
            if (results.length) setActive((current - 1 + results.length) % results.length);
          } else if (e.key === 'Enter') {
            e.preventDefault();
            if (results[current]) onInsert(results[current].type);
          } else if (e.key === 'Escape') {
            e.preventDefault();
            e.stopPropagation();
            onClose();
          }
        }}
      />
      <ul id="quick-insert-list" role="listbox" className="quick-insert-list">
        {!catalogue && <li className="muted">Loading blocks…</li>}
        {catalogue && results.length === 0 && <li className="muted">No block matches “{query}”.</li>}
        {results.map((entry, i) => (
          <li
            key={entry.type}
            id={`quick-insert-opt-${i}`}
            role="option"
            aria-selected={i === current}
            className={i === current ? 'active' : undefined}
            data-testid={`quick-insert-${entry.type}`}
            style={{ ['--cat' as string]: categoryColor(entry.category) }}
            onMouseEnter={() => setActive(i)}
            onMouseDown={(e) => e.preventDefault()}
            onClick={() => onInsert(entry.type)}
          >
            <span className="quick-insert-title">{entry.title}</span>
            <span className="quick-insert-type">{entry.type}</span>
          </li>
        ))}
      </ul>
    </div>
  );
}
