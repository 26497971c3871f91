package io.docjobs;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;
import java.util.TreeMap;
import javax.xml.parsers.DocumentBuilderFactory;
import org.w3c.dom.Element;
import org.w3c.dom.NodeList;

/**
 * Checks PIT's {@code mutations.xml} against a floor per package and prints the score of each
 * ({@code mvn -Pmutation}, see the README's "Tests"). PIT's own threshold is one number for
 * everything; the floors are per package. Exits 1 below any floor, 2 on a missing report.
 *
 * <p>A mutant PIT marks {@code RUN_ERROR} is not counted as killed, though PIT counts it as
 * detected: here those are the mutants of records whose hot swap crashes the test JVM (in
 * OpenJDK 17's class redefinition) before any test ran, so no test detected anything. They are
 * shown in a column of their own.
 *
 * <p>Arguments: the report path, then {@code package=percent} for each floor.
 */
public final class MutationFloors {
    private MutationFloors() {
    }

    public static void main(String[] args) throws Exception {
        Path report = Path.of(args[0]);
        if (!Files.exists(report)) {
            System.err.println("mutation floors: no PIT report at " + report + "; run with -Pmutation");
            System.exit(2);
        }
        Map<String, Integer> floors = new TreeMap<>();
        for (int i = 1; i < args.length; i++) {
            String[] floor = args[i].split("=", 2);
            floors.put(floor[0], Integer.parseInt(floor[1]));
        }
        Map<String, int[]> byPackage = new TreeMap<>(); // total, killed, survived, no coverage, crashed
        NodeList mutations = DocumentBuilderFactory.newInstance().newDocumentBuilder().parse(report.toFile())
                .getElementsByTagName("mutation");
        for (int i = 0; i < mutations.getLength(); i++) {
            Element mutation = (Element) mutations.item(i);
            String status = mutation.getAttribute("status");
            if (status.equals("NON_VIABLE")) {
                continue; // never compiled into a runnable mutant: not a test's business
            }
            String mutatedClass = mutation.getElementsByTagName("mutatedClass").item(0).getTextContent();
            String pkg = mutatedClass.substring(0, mutatedClass.lastIndexOf('.'));
            int[] counts = byPackage.computeIfAbsent(pkg, p -> new int[5]);
            counts[0]++;
            if (status.equals("RUN_ERROR")) {
                counts[4]++;
            } else if (Boolean.parseBoolean(mutation.getAttribute("detected"))) {
                counts[1]++;
            } else if (status.equals("NO_COVERAGE")) {
                counts[3]++;
            } else {
                counts[2]++;
            }
        }
        boolean below = false;
        System.out.printf("%-22s %8s %8s %8s %8s %8s %7s %6s%n", "package", "mutants", "killed", "survived", "no cover",
                "crashed", "score", "floor");
        for (Map.Entry<String, int[]> row : byPackage.entrySet()) {
            int[] c = row.getValue();
            double score = c[0] == 0 ? 100 : 100.0 * c[1] / c[0];
            Integer floor = floors.get(row.getKey());
            boolean fails = floor != null && score < floor;
            below |= fails;
            System.out.printf("%-22s %8d %8d %8d %8d %8d %6.1f%% %6s%s%n", row.getKey(), c[0], c[1], c[2], c[3], c[4], score,
                    floor == null ? "-" : floor + "%", fails ? "  BELOW THE FLOOR" : "");
        }
        for (String pkg : floors.keySet()) {
            if (!byPackage.containsKey(pkg)) {
                System.out.println(pkg + ": no mutants in the report (was the package renamed?)");
                below = true;
            }
        }
        if (below) {
            System.err.println("mutation floors: at least one package is below its floor; see target/pit-reports/index.html");
            System.exit(1);
        }
    }
}
