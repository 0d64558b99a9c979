import { useReactFlow } from '@xyflow/react';
import { useEffect } from 'react';
import { VIEW_EVENT, type ViewAction } from '../desktop.ts';

/** Applies the desktop View menu's fit/zoom commands to the canvas (renders nothing). */
export function ViewCommands() {
  const flow = useReactFlow();
  useEffect(() => {
    const onView = (event: Event) => {
      const action = (event as CustomEvent<ViewAction>).detail;
      if (action === 'fit') void flow.fitView({ duration: 200 });
      else if (action === 'zoomIn') void flow.zoomIn({ duration: 150 });
      else void flow.zoomOut({ duration: 150 });
    };
    window.addEventListener(VIEW_EVENT, onView);
    return () => window.removeEventListener(VIEW_EVENT, onView);
  }, [flow]);
  return null;
}
