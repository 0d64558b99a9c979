export function App() {
  return <main>RL Composer</main>;
}
