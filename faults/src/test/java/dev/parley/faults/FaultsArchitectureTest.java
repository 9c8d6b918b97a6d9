package dev.parley.faults;

import static com.tngtech.archunit.core.domain.JavaClass.Predicates.resideInAnyPackage;
import static com.tngtech.archunit.core.domain.JavaClass.Predicates.resideOutsideOfPackage;
import static com.tngtech.archunit.lang.syntax.ArchRuleDefinition.classes;

import com.tngtech.archunit.core.importer.ImportOption;
import com.tngtech.archunit.junit.AnalyzeClasses;
import com.tngtech.archunit.junit.ArchTest;
import com.tngtech.archunit.lang.ArchRule;

/**
 * As bench (ADR 12): the fault suite sees the server only through {@code protocol}, the client library,
 * the testkit (which starts a node by class name) and the wire.
 */
@AnalyzeClasses(packages = "dev.parley.faults", importOptions = ImportOption.DoNotIncludeTests.class)
class FaultsArchitectureTest {
  @ArchTest
  static final ArchRule faultsUseNoServerPackage = classes()
      .that().resideInAPackage("dev.parley.faults..")
      .should().onlyDependOnClassesThat(resideOutsideOfPackage("dev.parley..").or(resideInAnyPackage(
          "dev.parley.faults..", "dev.parley.protocol..", "dev.parley.client..", "dev.parley.testkit..")))
      .because("the fault suite sees the server only through protocol, the client library, the testkit and the wire");
}
