package dev.parley.protocol.monitor;

/**
 * What flows through one node.
 *
 * @param messagesTotal    messages persisted by conversations hosted here
 * @param messagesPerSec   of those, per second over the sample window
 * @param deliveriesTotal  message frames written to this node's client sockets (one per recipient socket)
 * @param deliveriesPerSec of those, per second
 * @param openSockets      client WebSockets open on this node now
 * @param persistP50Ms     send → ack as this node's sockets saw it (frame in to ack out), median; null before any send
 * @param persistP99Ms     the same, 99th percentile
 * @param journalP50Ms     conversation entity: command in to event persisted (the journal write), median
 * @param journalP99Ms     the same, 99th percentile
 */
public record TrafficStats(long messagesTotal, double messagesPerSec, long deliveriesTotal, double deliveriesPerSec,
    int openSockets, Double persistP50Ms, Double persistP99Ms, Double journalP50Ms, Double journalP99Ms) {
}
