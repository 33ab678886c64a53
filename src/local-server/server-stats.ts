/**
 * Request statistics of one server: how many requests each operation got, and how
 * many body bytes it received and sent. Tests assert on them (for example how many
 * UploadMultipartPart calls a resumed upload needed, or how many bytes GetJobOutput
 * served).
 */
export class ServerStats {
  private readonly counters = new Map<string, number>();

  /** Counts one request of `operation`. */
  request(operation: string): void {
    this.add(operation, 1);
    this.add('requests', 1);
  }

  /** Counts request-body bytes received for `operation`. */
  received(operation: string, bytes: number): void {
    this.add(`${operation}.bytesReceived`, bytes);
    this.add('bytesReceived', bytes);
  }

  /** Counts response-body bytes sent for `operation`. */
  sent(operation: string, bytes: number): void {
    this.add(`${operation}.bytesSent`, bytes);
    this.add('bytesSent', bytes);
  }

  /** Counts a fault injected into `operation`. */
  fault(operation: string, kind: string): void {
    this.add(`${operation}.fault.${kind}`, 1);
    this.add('faults', 1);
  }

  /**
   * A snapshot: `<Operation>` request counts, `<Operation>.bytesReceived`,
   * `<Operation>.bytesSent`, `<Operation>.fault.<kind>`, and the totals `requests`,
   * `bytesReceived`, `bytesSent`, `faults` (always present).
   */
  snapshot(): Record<string, number> {
    const out: Record<string, number> = { requests: 0, bytesReceived: 0, bytesSent: 0, faults: 0 };
    for (const [k, v] of this.counters) out[k] = v;
    return out;
  }

  private add(key: string, n: number): void {
    this.counters.set(key, (this.counters.get(key) ?? 0) + n);
  }
}
