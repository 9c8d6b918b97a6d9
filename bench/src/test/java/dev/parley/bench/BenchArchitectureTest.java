package dev.parley.bench;

import static com.tngtech.archunit.core.domain.JavaClass.Predicates.resideInAnyPackage;
import static com.tngtech.archunit.core.domain.JavaClass.Predicates.resideOutsideOfPackage;
import static com.tngtech.archunit.lang.syntax.ArchRuleDefinition.classes;

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
  static final ArchRule benchUsesNoServerPackage = classes()
      .that().resideInAPackage("dev.parley.bench..")
      .and().resideOutsideOfPackage("dev.parley.bench.inprocess..")
      .should().onlyDependOnClassesThat(resideOutsideOfPackage("dev.parley..").or(resideInAnyPackage(
          "dev.parley.bench..", "dev.parley.protocol..", "dev.parley.client..", "dev.parley.testkit..")))
      .because("bench sees the server only through protocol, the client library and the wire (ADR 12)");
}
