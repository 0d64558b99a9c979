import { BaseEdge, EdgeLabelRenderer, getBezierPath, type EdgeProps } from '@xyflow/react';
import { memo } from 'react';

/**
 * A bezier edge whose label (the Batch field it takes) sits just before the input it feeds, so
 * that the labels of many edges leaving one Batch output do not pile up in the middle.
 */
function DataEdgeView({ id, sourceX, sourceY, targetX, targetY, sourcePosition, targetPosition, style, label, interactionWidth, selected }: EdgeProps) {
  const [path] = getBezierPath({ sourceX, sourceY, sourcePosition, targetX, targetY, targetPosition });
  return (
    <>
      <BaseEdge id={id} path={path} style={style} interactionWidth={interactionWidth} />
      {label ? (
        <EdgeLabelRenderer>
          <div
            className={`edge-field-label${selected ? ' selected' : ''}`}
            style={{ transform: `translate(-100%, -100%) translate(${targetX - 8}px, ${targetY - 1}px)`, borderColor: style?.stroke }}
          >
            {label}
          </div>
        </EdgeLabelRenderer>
      ) : null}
    </>
  );
}

export const DataEdge = memo(DataEdgeView);
