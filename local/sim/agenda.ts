/**
 * What is due when, on the virtual clock: items come out in time order, and in the order they were added at one
 * instant (a binary heap on (at, seq): an alert storm puts tens of thousands of deliveries on it).
 */
export interface AgendaItem {
  readonly at: number;
  readonly seq: number;
  readonly label: string;
  readonly run: () => void;
}

const before = (a: AgendaItem, b: AgendaItem) => a.at < b.at || (a.at === b.at && a.seq < b.seq);

export class Agenda {
  private readonly heap: AgendaItem[] = [];
  private seq = 0;

  add(at: number, label: string, run: () => void): void {
    const heap = this.heap;
    heap.push({ at, seq: this.seq++, label, run });
    let i = heap.length - 1;
    while (i > 0) {
      const parent = (i - 1) >> 1;
      if (!before(heap[i]!, heap[parent]!)) break;
      [heap[i], heap[parent]] = [heap[parent]!, heap[i]!];
      i = parent;
    }
  }

  nextAt(): number | undefined {
    return this.heap[0]?.at;
  }

  get size(): number {
    return this.heap.length;
  }

  /** Removes and returns every item due by `now`, in order. */
  takeDue(now: number): AgendaItem[] {
    const out: AgendaItem[] = [];
    while (this.heap.length && this.heap[0]!.at <= now) out.push(this.pop());
    return out;
  }

  private pop(): AgendaItem {
    const heap = this.heap;
    const top = heap[0]!;
    const last = heap.pop()!;
    if (heap.length) {
      heap[0] = last;
      let i = 0;
      for (;;) {
        const l = 2 * i + 1;
        const r = l + 1;
        let m = i;
        if (l < heap.length && before(heap[l]!, heap[m]!)) m = l;
        if (r < heap.length && before(heap[r]!, heap[m]!)) m = r;
        if (m === i) break;
        [heap[i], heap[m]] = [heap[m]!, heap[i]!];
        i = m;
      }
    }
    return top;
  }
}
