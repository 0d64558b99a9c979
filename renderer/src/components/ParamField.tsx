import { useEffect, useId, useState } from 'react';
import { checkParamValue } from '../../../engine/params.ts';
import { formatValue, type ParamEntry } from '../catalogue.ts';

interface FieldProps {
  name: string;
  spec: ParamEntry;
  /** The node's own value, undefined when it uses the default. */
  own: unknown;
  /** Keys suggested for a weights table (the sources of the node's multi inputs). */
  weightKeys: string[];
  disabled?: boolean;
  onChange(value: unknown): void;
}

function numberText(v: unknown): string {
  return typeof v === 'number' && Number.isFinite(v) ? String(v) : v === undefined || v === null ? '' : String(v);
}

function NumberInput({ id, value, spec, onChange, disabled, testId }: { id: string; value: unknown; spec: ParamEntry; onChange(v: number): void; disabled?: boolean; testId: string }) {
  const [text, setText] = useState(numberText(value));
  const [bad, setBad] = useState(false);
  useEffect(() => {
    // An outside change (undo, another widget): show it unless the text already means it.
    if (Number(text) !== value || text.trim() === '') setText(numberText(value));
    // eslint-disable-next-line react-hooks/exhaustive-deps
  }, [value]);
  const min = 'min' in spec ? spec.min : undefined;
  const max = 'max' in spec ? spec.max : undefined;
  return (
    <input
      id={id}
      type="number"
      inputMode="decimal"
      step={spec.kind === 'integer' ? 1 : 'any'}
      min={min}
      max={max}
      value={text}
      disabled={disabled}
      aria-invalid={bad || undefined}
      data-testid={testId}
      onChange={(e) => {
        const t = e.target.value;
        setText(t);
        const n = Number(t);
        const ok = t.trim() !== '' && Number.isFinite(n);
        setBad(!ok);
        if (ok) onChange(n);
      }}
    />
  );
}

function ListInput({ id, value, onChange, disabled, testId }: { id: string; value: unknown; onChange(v: number[]): void; disabled?: boolean; testId: string }) {
  const show = (v: unknown) => (Array.isArray(v) ? v.join(', ') : String(v ?? ''));
  const [text, setText] = useState(show(value));
  const [bad, setBad] = useState(false);
  useEffect(() => {
    const parsed = parseList(text);
    if (!parsed || JSON.stringify(parsed) !== JSON.stringify(value)) setText(show(value));
    // eslint-disable-next-line react-hooks/exhaustive-deps
  }, [value]);
  return (
    <input
      id={id}
      type="text"
      value={text}
      disabled={disabled}
      placeholder="e.g. 64, 64"
      aria-invalid={bad || undefined}
      data-testid={testId}
      onChange={(e) => {
        setText(e.target.value);
        const parsed = parseList(e.target.value);
        setBad(!parsed);
        if (parsed) onChange(parsed);
      }}
    />
  );
}

function parseList(text: string): number[] | null {
  const parts = text.split(/[\s,×x]+/).filter(Boolean);
  const nums = parts.map(Number);
  return nums.every((n) => Number.isInteger(n)) ? nums : null;
}

function WeightsInput({ name, value, keys, onChange, disabled }: { name: string; value: Record<string, number>; keys: string[]; onChange(v: Record<string, number>): void; disabled?: boolean }) {
  const [newKey, setNewKey] = useState('');
  const missing = keys.filter((k) => !(k in value));
  return (
    <div className="weights" data-testid={`param-${name}`}>
      {Object.entries(value).map(([key, w]) => (
        <div className="weight-row" key={key}>
          <label htmlFor={`w-${name}-${key}`} className="weight-key" title={key}>
            {key}
          </label>
          <NumberInput
            id={`w-${name}-${key}`}
            value={w}
            spec={{ kind: 'number', default: 1, help: '', range: '' }}
            disabled={disabled}
            testId={`param-${name}-${key}`}
            onChange={(v) => onChange({ ...value, [key]: v })}
          />
          <button
            type="button"
            className="icon"
            aria-label={`Remove weight ${key}`}
            title={`Remove the weight of ${key} (it then counts once)`}
            disabled={disabled}
            onClick={() => {
              const next = { ...value };
              delete next[key];
              onChange(next);
            }}
          >
            ×
          </button>
        </div>
      ))}
      {missing.length > 0 && (
        <div className="weight-missing">
          {missing.map((k) => (
            <button key={k} type="button" className="chip" disabled={disabled} onClick={() => onChange({ ...value, [k]: 1 })} aria-label={`Add a weight for ${k}`}>
              + {k}
            </button>
          ))}
        </div>
      )}
      <form
        className="weight-add"
        onSubmit={(e) => {
          e.preventDefault();
          const k = newKey.trim();
          if (k && !(k in value)) onChange({ ...value, [k]: 1 });
          setNewKey('');
        }}
      >
        <input aria-label={`New ${name} key`} placeholder="key (node or node.port)" value={newKey} disabled={disabled} onChange={(e) => setNewKey(e.target.value)} />
        <button type="submit" disabled={disabled || !newKey.trim()}>
          Add
        </button>
      </form>
    </div>
  );
}

export function ParamField({ name, spec, own, weightKeys, disabled, onChange }: FieldProps) {
  const id = useId();
  const value = own === undefined ? spec.default : own;
  const testId = `param-${name}`;
  const problem = own === undefined ? null : checkParamValue(spec, own);
  let widget;
  switch (spec.kind) {
    case 'number':
    case 'integer':
      widget = <NumberInput id={id} value={value} spec={spec} disabled={disabled} testId={testId} onChange={onChange} />;
      break;
    case 'boolean':
      widget = <input id={id} type="checkbox" checked={value === true} disabled={disabled} data-testid={testId} onChange={(e) => onChange(e.target.checked)} />;
      break;
    case 'choice':
      widget = (
        <select id={id} value={String(value)} disabled={disabled} data-testid={testId} onChange={(e) => onChange(e.target.value)}>
          {spec.options.map((o) => (
            <option key={o} value={o}>
              {o}
            </option>
          ))}
        </select>
      );
      break;
    case 'string':
      widget = <input id={id} type="text" value={String(value ?? '')} disabled={disabled} data-testid={testId} onChange={(e) => onChange(e.target.value)} />;
      break;
    case 'integerList':
      widget = <ListInput id={id} value={value} disabled={disabled} testId={testId} onChange={onChange} />;
      break;
    case 'weights':
      widget = <WeightsInput name={name} value={(value ?? {}) as Record<string, number>} keys={weightKeys} disabled={disabled} onChange={onChange} />;
      break;
  }
  const log = spec.kind === 'number' && spec.scale === 'log';
  return (
    <div className={`param${problem ? ' invalid' : ''}${own === undefined ? ' is-default' : ''}`}>
      <div className="param-head">
        <label htmlFor={spec.kind === 'weights' ? undefined : id} className="param-name">
          {name}
          {spec.unit ? <span className="unit"> ({spec.unit})</span> : null}
        </label>
        {spec.live && (
          <span className="tag live" title="Can be changed while a run is going">
            live
          </span>
        )}
        {log && (
          <span className="tag" title="Log-scale parameter: change it by factors (×10 / ÷10)">
            log
          </span>
        )}
        {own !== undefined && (
          <button type="button" className="link" onClick={() => onChange(undefined)} disabled={disabled} title={`Reset to the default (${formatValue(spec.default)})`} aria-label={`Reset ${name} to its default`}>
            reset
          </button>
        )}
      </div>
      <div className="param-widget">
        {widget}
        {log && typeof value === 'number' && (
          <span className="log-steps">
            <button type="button" className="icon" aria-label={`Divide ${name} by 10`} disabled={disabled} onClick={() => onChange(Number((value / 10).toPrecision(6)))}>
              ÷10
            </button>
            <button type="button" className="icon" aria-label={`Multiply ${name} by 10`} disabled={disabled} onClick={() => onChange(Number((value * 10).toPrecision(6)))}>
              ×10
            </button>
          </span>
        )}
      </div>
      <div className="param-help">
        {spec.help} <span className="muted">Default {JSON.stringify(spec.default)}; {spec.range}.</span>
      </div>
      {problem && <div className="param-problem">{problem}</div>}
    </div>
  );
}
