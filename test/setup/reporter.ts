// A vitest reporter that prints, at the end of a run, how many tests passed, failed and were
// skipped on each backend (one vitest project per backend), so CI logs show the matrix ran.
import type { Reporter, TestModule } from 'vitest/node';

export default class BackendCountsReporter implements Reporter {
  onTestRunEnd(testModules: ReadonlyArray<TestModule>): void {
    const counts = new Map<string, { passed: number; failed: number; skipped: number }>();
    for (const m of testModules) {
      const name = m.project.name || 'default';
      const c = counts.get(name) ?? { passed: 0, failed: 0, skipped: 0 };
      for (const t of m.children.allTests()) {
        const state = t.result().state;
        if (state === 'passed') c.passed++;
        else if (state === 'failed') c.failed++;
        else c.skipped++;
      }
      counts.set(name, c);
    }
    const lines = [...counts].map(
      ([name, c]) =>
        `  ${name.padEnd(8)} ${String(c.passed).padStart(5)} passed, ${c.failed} failed, ${c.skipped} skipped`,
    );
    process.stdout.write(`\nTests per backend:\n${lines.join('\n')}\n`);
  }
}
