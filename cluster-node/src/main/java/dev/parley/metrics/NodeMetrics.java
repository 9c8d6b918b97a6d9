package dev.parley.metrics;

import io.micrometer.prometheusmetrics.PrometheusConfig;
import io.micrometer.prometheusmetrics.PrometheusMeterRegistry;

/**
 * The node's metrics registry (Micrometer), scraped in Prometheus text format at
 * {@code GET /metrics} on the client HTTP port: receipt flush sizes and latencies, cache hits and
 * misses, fallback queries, Kafka pipeline counters, records quarantined per stream
 * ({@code parley_quarantined_total{stream}}, dev.parley.sql.Quarantine), JVM basics. Counters live in memory and start
 * from zero at each node start.
 */
public final class NodeMetrics {
  private final PrometheusMeterRegistry registry = new PrometheusMeterRegistry(PrometheusConfig.DEFAULT);

  public NodeMetrics() {
    new io.micrometer.core.instrument.binder.jvm.JvmMemoryMetrics().bindTo(registry);
    new io.micrometer.core.instrument.binder.system.ProcessorMetrics().bindTo(registry);
  }

  public PrometheusMeterRegistry registry() {
    return registry;
  }

  /** The Prometheus exposition of every meter. */
  public String scrape() {
    return registry.scrape();
  }
}
