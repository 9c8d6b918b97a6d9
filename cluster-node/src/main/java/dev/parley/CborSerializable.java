package dev.parley;

/**
 * The one serialization marker of the cluster node: every command, reply, event and snapshot that
 * crosses an actor boundary or reaches the journal implements it, and {@code serialization.conf}
 * binds it to Jackson CBOR. Never bind {@code Object} or {@code java.io.Serializable} instead.
 */
public interface CborSerializable {}
