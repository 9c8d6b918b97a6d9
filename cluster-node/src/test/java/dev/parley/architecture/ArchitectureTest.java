package dev.parley.architecture;

import static com.tngtech.archunit.library.Architectures.layeredArchitecture;
import static com.tngtech.archunit.library.dependencies.SlicesRuleDefinition.slices;

import com.tngtech.archunit.core.importer.ImportOption;
import com.tngtech.archunit.junit.AnalyzeClasses;
import com.tngtech.archunit.junit.ArchTest;
import com.tngtech.archunit.lang.ArchRule;

/**
 * The layering rule of the server (docs/decisions/0012-layers-the-build-enforces.md), checked on
 * the compiled main classes of protocol and cluster-node. From the bottom:
 *
 * <ol>
 *   <li><b>Protocol</b> ({@code dev.parley.protocol}): the wire types; depends on nothing of ours.
 *   <li><b>Domain</b> ({@code conversation}): the conversation entity, its state and decisions, and
 *       the ports it calls (receipt sink, message cache, live-feed hubs). Protocol and its own ports
 *       only, plus the one serialization marker.
 *   <li><b>Infrastructure</b> ({@code sql}, {@code kafka}, {@code metrics}): plumbing with no
 *       knowledge of conversations.
 *   <li><b>Adapters</b> (stores, caches, transports, read side: {@code receipts}, {@code cache},
 *       {@code readmodel}, {@code query}, {@code eventexport}, {@code auth}, {@code membership},
 *       {@code session}): implement the domain's ports or read what it wrote.
 *   <li><b>Http</b> ({@code http}): routes and the WebSocket transport.
 *   <li><b>App</b> ({@code app}): configuration, startup and shutdown wiring.
 * </ol>
 *
 * A layer may use the layers below it, never one above; and no two packages may depend on each
 * other in a cycle, also inside a layer.
 */
@AnalyzeClasses(packages = "dev.parley", importOptions = ImportOption.DoNotIncludeTests.class)
class ArchitectureTest {

  @ArchTest
  static final ArchRule layers = layeredArchitecture()
      .consideringOnlyDependenciesInLayers()
      .layer("Protocol").definedBy("dev.parley.protocol..")
      .layer("Marker").definedBy("dev.parley")
      .layer("Domain").definedBy("dev.parley.conversation..")
      .layer("Infrastructure").definedBy("dev.parley.sql..", "dev.parley.kafka..", "dev.parley.metrics..")
      .layer("Adapters").definedBy("dev.parley.receipts..", "dev.parley.cache..", "dev.parley.readmodel..",
          "dev.parley.query..", "dev.parley.eventexport..", "dev.parley.auth..", "dev.parley.membership..",
          "dev.parley.session..")
      .layer("Http").definedBy("dev.parley.http..")
      .layer("App").definedBy("dev.parley.app..")
      .layer("Client").definedBy("dev.parley.client..")

      .whereLayer("Protocol").mayNotAccessAnyLayer()
      .whereLayer("Domain").mayOnlyAccessLayers("Protocol", "Marker")
      .whereLayer("Infrastructure").mayOnlyAccessLayers("Protocol", "Marker")
      .whereLayer("Adapters").mayOnlyAccessLayers("Protocol", "Marker", "Domain", "Infrastructure")
      .whereLayer("Http").mayOnlyAccessLayers("Protocol", "Marker", "Domain", "Infrastructure", "Adapters")
      .whereLayer("App").mayNotBeAccessedByAnyLayer()
      .whereLayer("Client").mayOnlyAccessLayers("Protocol")
      .because("the domain depends on protocol and its own ports; adapters sit above it, http and app on top "
          + "(ADR 0012)");

  @ArchTest
  static final ArchRule noPackageCycles = slices().matching("dev.parley.(*)..")
      .should().beFreeOfCycles()
      .because("a package cycle means neither side can be understood or changed alone (ADR 0012)");
}
