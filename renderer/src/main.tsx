import { createRoot } from 'react-dom/client';
import { z } from 'zod';
import '@xyflow/react/dist/style.css';
import 'uplot/dist/uPlot.min.css';
import 'katex/dist/katex.min.css';
import './styles.css';
import { App } from './App.tsx';

// The desktop shell's CSP forbids eval: zod must not probe `new Function` for its JIT (a CSP violation).
z.config({ jitless: true });

createRoot(document.getElementById('root')!).render(<App />);
