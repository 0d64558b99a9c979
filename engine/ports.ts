/**
 * Port types. Resource ports (Env, Module, Policy) carry long-lived objects wired once at build
 * time; value ports (Batch, Tensor, Scalar) carry data produced on a clock; Trigger only orders.
 */
export const PORT_TYPES = ['Env', 'Module', 'Policy', 'Batch', 'Tensor', 'Scalar', 'Trigger'] as const;
export type PortType = (typeof PORT_TYPES)[number];

export const RESOURCE_PORT_TYPES: ReadonlySet<PortType> = new Set(['Env', 'Module', 'Policy']);

export function isResourceType(type: PortType): boolean {
  return RESOURCE_PORT_TYPES.has(type);
}

/** Editor colours: the same type has the same colour everywhere. */
export const PORT_COLORS: Record<PortType, string> = {
  Env: '#2e7d32',
  Module: '#6a1b9a',
  Policy: '#ad1457',
  Batch: '#1565c0',
  Tensor: '#00838f',
  Scalar: '#ef6c00',
  Trigger: '#616161',
};

/**
 * Whether an output of type `from` (optionally one named field of a Batch) may feed an input of
 * type `to`. Returns null when compatible, else the reason.
 */
export function connectionProblem(from: PortType, to: PortType, field: string | undefined): string | null {
  if (field !== undefined) {
    if (from !== 'Batch') return `a field can only be taken from a Batch output, not from ${from}`;
    return to === 'Tensor' ? null : `a Batch field is a Tensor and cannot feed a ${to} input`;
  }
  if (from === to) return null;
  if (to === 'Trigger') return null; // any output may order a Trigger input
  if (from === 'Policy' && to === 'Module') return null; // a policy is a module with a distribution head
  if (from === 'Scalar' && to === 'Tensor') return null; // a scalar is a 0-d tensor
  if (from === 'Batch' && to === 'Tensor') return 'pick a field of the Batch (edge "field") to get a Tensor';
  return `${from} is not compatible with ${to}`;
}
