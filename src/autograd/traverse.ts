// Walking the recorded graph: every node reachable from some roots, iteratively (no recursion limit).
import type { Node } from './node.js';

/** Every node reachable from the roots through nextFunctions. */
export function reachableNodes(roots: readonly Node[]): Set<Node> {
  const seen = new Set<Node>(roots);
  const stack = [...roots];
  while (stack.length > 0) {
    const n = stack.pop()!;
    for (const e of n.next) {
      if (e !== null && !seen.has(e.node)) {
        seen.add(e.node);
        stack.push(e.node);
      }
    }
  }
  return seen;
}

/** The nodes reachable from `root` in creation order, which is a topological order (inputs first). */
export function nodesInOrder(root: Node): Node[] {
  return [...reachableNodes([root])].sort((a, b) => a.seq - b.seq);
}
