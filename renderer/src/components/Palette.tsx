import { useReactFlow } from '@xyflow/react';
import { useMemo, useState } from 'react';
import { catalogueStore, categoryColor, categoryRank, type CatalogueEntry } from '../catalogue.ts';
import { addNode } from '../graphOps.ts';
import { useStore } from '../store.ts';
import { BLOCK_MIME } from './Canvas.tsx';

function matches(entry: CatalogueEntry, query: string): boolean {
  if (!query) return true;
  const hay = `${entry.title} ${entry.type} ${entry.category} ${entry.doc.summary}`.toLowerCase();
  return query
    .toLowerCase()
    .split(/\s+/)
    .filter(Boolean)
    .every((word) => hay.includes(word));
}

export function Palette() {
  const catalogue = useStore(catalogueStore, (s) => s.catalogue);
  const error = useStore(catalogueStore, (s) => s.error);
  const [query, setQuery] = useState('');
  /** Said by the live region after a block is added (the block is selected, focus stays here). */
  const [added, setAdded] = useState('');
  const flow = useReactFlow();

  const groups = useMemo(() => {
    const map = new Map<string, CatalogueEntry[]>();
    for (const entry of catalogue?.list ?? []) {
      if (!matches(entry, query)) continue;
      map.set(entry.category, [...(map.get(entry.category) ?? []), entry]);
    }
    return [...map.entries()].sort((a, b) => categoryRank(a[0]) - categoryRank(b[0]) || a[0].localeCompare(b[0]));
  }, [catalogue, query]);

  const addAtCentre = (type: string) => {
    const pane = document.querySelector('.canvas')?.getBoundingClientRect();
    const centre = pane ? { x: pane.left + pane.width / 2, y: pane.top + pane.height / 2 } : { x: innerWidth / 2, y: innerHeight / 2 };
    const p = flow.screenToFlowPosition(centre);
    const id = addNode(type, { x: p.x - 90, y: p.y - 40 }, true);
    setAdded(`Added block ${id} (${catalogue?.byType.get(type)?.title ?? type}).`);
  };

  return (
    <aside className="palette" aria-label="Block palette">
      <div className="panel-title">Blocks</div>
      <input
        className="search"
        type="search"
        placeholder="Search blocks…"
        aria-label="Search blocks"
        value={query}
        onChange={(e) => setQuery(e.target.value)}
        onKeyDown={(e) => {
          if (e.key === 'Enter' && groups.length) addAtCentre(groups[0][1][0].type);
        }}
        data-testid="palette-search"
      />
      <div className="sr-only" role="status" data-testid="palette-status">
        {added}
      </div>
      <div className="palette-list">
        {error && <div className="muted">Cannot load the catalogue: {error}</div>}
        {!catalogue && !error && <div className="muted">Loading blocks…</div>}
        {catalogue && groups.length === 0 && <div className="muted">No block matches “{query}”.</div>}
        {groups.map(([category, entries]) => (
          <section key={category} className="palette-group" aria-label={category}>
            <h3 style={{ ['--cat' as string]: categoryColor(category) }}>{category}</h3>
            {entries.map((entry) => (
              <button
                key={entry.type}
                type="button"
                className="palette-item"
                draggable
                data-testid={`palette-${entry.type}`}
                title={`${entry.type} — ${entry.doc.summary}\n\nDrag onto the canvas, or click (Enter) to add it at the centre.`}
                aria-label={`Add ${entry.title} (${entry.type})`}
                style={{ ['--cat' as string]: categoryColor(entry.category) }}
                onDragStart={(e) => {
                  e.dataTransfer.setData(BLOCK_MIME, entry.type);
                  e.dataTransfer.effectAllowed = 'copy';
                }}
                onClick={() => addAtCentre(entry.type)}
              >
                <span className="palette-item-title">{entry.title}</span>
                <span className="palette-item-type">{entry.type}</span>
              </button>
            ))}
          </section>
        ))}
      </div>
    </aside>
  );
}
