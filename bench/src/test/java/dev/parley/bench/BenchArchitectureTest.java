package dev.parley.bench;

import static com.tngtech.archunit.lang.syntax.ArchRuleDefinition.noClasses;

import com.tngtech.archunit.core.importer.ImportOption;
import com.tngtech.archunit.junit.AnalyzeClasses;
import com.tngtech.archunit.junit.ArchTest;
import com.tngtech.archunit.lang.ArchRule;

/**
 * ADR 12: the benchmarks see the server only through {@code protocol}, the client library and the
 * wire (the testkit starts a node by class name). The in-process harness ({@code bench-inprocess})
 * is the one place allowed inside a node.
 */
@AnalyzeClasses(packages = "dev.parley.bench", importOptions = ImportOption.DoNotIncludeTests.class)
class BenchArchitectureTest {
  @ArchTest
  static final ArchRule benchUsesNoServerPackage = noClasses()
      .that().resideInAPackage("dev.parley.bench..")
      .and().resideOutsideOfPackage("dev.parley.bench.inprocess..")
      .should().dependOnClassesThat().resideInAnyPackage(
          "dev.parley.app..", "dev.parley.conversation..", "dev.parley.receipts..", "dev.parley.readmodel..",
          "dev.parley.sql..", "dev.parley.cache..", "dev.parley.session..", "dev.parley.http..", "dev.parley.auth..",
          "dev.parley.query..", "dev.parley.eventexport..", "dev.parley.kafka..", "dev.parley.membership..",
          "dev.parley.metrics..", "dev.parley.history..", "dev.parley.cli..")
      .because("bench sees the server only through protocol, the client library and the wire (ADR 12)");
}
