/** What the proxy reports; implemented with prom-client by the HTTP layer. */
export interface ProxyMetrics {
  message(connection: string, direction: 'client' | 'server', method: string): void;
  upstreamError(connection: string, code: string): void;
  streamOpened(connection: string): void;
  streamClosed(connection: string): void;
  upstreamLatency(connection: string, seconds: number): void;
}
