package dev.parley.protocol.monitor;

/**
 * The node's JVM.
 *
 * @param heapUsedBytes heap in use now
 * @param heapMaxBytes  the heap's limit (-Xmx)
 * @param gcCount       collections since start, all collectors
 * @param gcMillis      time spent in them since start
 * @param gcMillisPerSec of that, per second over the sample window (the share of time lost to GC, × 1000)
 * @param threads       live threads
 * @param processCpu    CPU used by the node's process over the sample window, in cores (1.0 = one core busy); null when unknown
 */
public record JvmStats(long heapUsedBytes, long heapMaxBytes, long gcCount, long gcMillis, double gcMillisPerSec,
    int threads, Double processCpu) {
}
