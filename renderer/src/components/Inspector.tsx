import katex from 'katex';
import { useMemo } from 'react';
import { checkParamValue } from '../../../engine/params.ts';
import type { GraphNode } from '../../../engine/graph/schema.ts';
import { catalogueStore, categoryColor, PORT_COLORS, portShape, type CatalogueEntry, type PortEntry } from '../catalogue.ts';
import { docStore, edit } from '../doc.ts';
import { deleteElements, duplicate, setParam } from '../graphOps.ts';
import { isActive, runStore, setLiveParam } from '../run.ts';
import { useStore } from '../store.ts';
import { focusNode, uiStore } from '../ui.ts';
import { validationStore } from '../validation.ts';
import { ParamField } from './ParamField.tsx';

function Formula({ tex }: { tex: string }) {
  const html = useMemo(() => katex.renderToString(tex, { throwOnError: false, displayMode: true }), [tex]);
  return <div className="formula" dangerouslySetInnerHTML={{ __html: html }} />;
}

function PortList({ title, ports }: { title: string; ports: PortEntry[] }) {
  if (ports.length === 0) return null;
  return (
    <div className="port-list">
      <h4>{title}</h4>
      <ul>
        {ports.map((p) => (
          <li key={p.name} title={p.doc}>
            <span className={`swatch port-${portShape(p.type)}`} style={{ background: PORT_COLORS[p.type] }} aria-hidden="true" />
            <span className="port-name">{p.name}</span> <span className="muted">{p.type}</span>
            {p.multi ? <span className="tag">multi</span> : null}
            {p.optional ? <span className="tag">optional</span> : null}
            <div className="port-doc">{p.doc}</div>
          </li>
        ))}
      </ul>
    </div>
  );
}

function NodeInspector({ node, entry }: { node: GraphNode; entry: CatalogueEntry | undefined }) {
  const doc = useStore(docStore, (s) => s.doc);
  const problems = useStore(validationStore, (s) => s.byNode.get(node.id));
  const runState = useStore(runStore, (s) => s.state);
  const running = isActive(runState);
  // Keys a weights table may use: the sources of this node's multi inputs.
  const weightKeys = useMemo(() => {
    const multi = new Set(entry?.inputs.filter((p) => p.multi).map((p) => p.name));
    return [...new Set(doc.edges.filter((e) => e.to.node === node.id && multi.has(e.to.port)).map((e) => e.from.node))];
  }, [doc.edges, entry, node.id]);

  if (!entry) {
    return (
      <div className="inspector-body">
        <h2>{node.id}</h2>
        <p className="error-text">Unknown block type “{node.type}”. It is not in this engine's catalogue.</p>
      </div>
    );
  }
  const change = (name: string, value: unknown) => {
    setParam(node.id, name, value);
    const spec = entry.params[name];
    if (spec.live && running && value !== undefined && checkParamValue(spec, value) === null) void setLiveParam(node.id, name, value);
  };
  return (
    <div className="inspector-body">
      <div className="insp-head" style={{ ['--cat' as string]: categoryColor(entry.category) }}>
        <h2>
          {node.id} <span className="muted">· {entry.title}</span>
        </h2>
        <div className="muted small">
          {entry.type} · {entry.category} · {entry.role}
        </div>
      </div>
      {problems && problems.length > 0 && (
        <ul className="insp-problems" aria-label="Problems of this block">
          {problems.map((p, i) => (
            <li key={i}>{p.message}</li>
          ))}
        </ul>
      )}
      <p className="doc-summary">{entry.doc.summary}</p>
      {entry.doc.formula && <Formula tex={entry.doc.formula} />}
      {entry.doc.reference && <p className="reference">{entry.doc.reference}</p>}
      {Object.keys(entry.params).length > 0 && (
        <section className="params" aria-label="Parameters">
          <h3>Parameters</h3>
          {running && <p className="muted small">A run is going: params marked live apply to it now; the others apply to the next run.</p>}
          {Object.entries(entry.params).map(([name, spec]) => (
            <ParamField key={name} name={name} spec={spec} own={node.params[name]} weightKeys={weightKeys} onChange={(v) => change(name, v)} />
          ))}
        </section>
      )}
      <PortList title="Inputs" ports={entry.inputs} />
      <PortList title="Outputs" ports={entry.outputs} />
      <div className="insp-actions">
        <button type="button" onClick={() => duplicate([node.id])}>
          Duplicate
        </button>
        <button type="button" className="danger" onClick={() => deleteElements([node.id])} data-testid="inspector-delete">
          Delete block
        </button>
      </div>
    </div>
  );
}

function DocumentInspector() {
  const doc = useStore(docStore, (s) => s.doc);
  const problems = useStore(validationStore, (s) => s.problems);
  return (
    <div className="inspector-body">
      <h2>Document</h2>
      <p className="muted small">Select a block to edit its parameters. Shift+drag selects several; Delete removes them.</p>
      <div className="param">
        <label className="param-name" htmlFor="doc-name">
          Name
        </label>
        <input id="doc-name" type="text" value={doc.meta.name} data-testid="doc-name" onChange={(e) => edit((d) => void (d.meta.name = e.target.value), { coalesce: 'meta.name' })} />
      </div>
      <div className="param">
        <label className="param-name" htmlFor="doc-desc">
          Description
        </label>
        <textarea id="doc-desc" rows={5} value={doc.meta.description ?? ''} onChange={(e) => edit((d) => void (d.meta.description = e.target.value), { coalesce: 'meta.description' })} />
      </div>
      <div className="param">
        <label className="param-name" htmlFor="doc-steps">
          Total environment steps
        </label>
        <input
          id="doc-steps"
          type="number"
          min={1}
          step={1000}
          value={doc.run.totalSteps}
          data-testid="doc-totalSteps"
          onChange={(e) => {
            const n = Number(e.target.value);
            if (Number.isInteger(n) && n > 0) edit((d) => void (d.run.totalSteps = n), { coalesce: 'run.totalSteps' });
          }}
        />
      </div>
      <div className="param">
        <label className="param-name" htmlFor="doc-seed">
          Seed
        </label>
        <input
          id="doc-seed"
          type="number"
          min={0}
          step={1}
          value={doc.run.seed}
          onChange={(e) => {
            const n = Number(e.target.value);
            if (Number.isInteger(n) && n >= 0) edit((d) => void (d.run.seed = n), { coalesce: 'run.seed' });
          }}
        />
      </div>
      <div className="param">
        <label className="param-name" htmlFor="doc-backend">
          Backend
        </label>
        <select id="doc-backend" value={doc.run.backend} onChange={(e) => edit((d) => void (d.run.backend = e.target.value as typeof d.run.backend))}>
          {['auto', 'tensorflow', 'wasm', 'cpu'].map((b) => (
            <option key={b}>{b}</option>
          ))}
        </select>
      </div>
      <p className="muted small">
        {doc.nodes.length} blocks, {doc.edges.length} edges, {problems.length} problem{problems.length === 1 ? '' : 's'}.
      </p>
    </div>
  );
}

export function Inspector() {
  const selected = useStore(uiStore, (s) => s.selected);
  const doc = useStore(docStore, (s) => s.doc);
  const catalogue = useStore(catalogueStore, (s) => s.catalogue);
  const node = selected.length === 1 ? doc.nodes.find((n) => n.id === selected[0]) : undefined;
  return (
    <aside className="inspector" aria-label="Inspector">
      <div className="panel-title">Inspector</div>
      {node ? (
        <NodeInspector key={node.id} node={node} entry={catalogue?.byType.get(node.type)} />
      ) : selected.length > 1 ? (
        <div className="inspector-body">
          <h2>{selected.length} blocks selected</h2>
          <ul className="sel-list">
            {selected.map((id) => (
              <li key={id}>
                <button type="button" className="link" onClick={() => focusNode(id)}>
                  {id}
                </button>
              </li>
            ))}
          </ul>
          <div className="insp-actions">
            <button type="button" onClick={() => duplicate(selected)}>
              Duplicate
            </button>
            <button type="button" className="danger" onClick={() => deleteElements(selected)}>
              Delete {selected.length} blocks
            </button>
          </div>
        </div>
      ) : (
        <DocumentInspector />
      )}
    </aside>
  );
}
