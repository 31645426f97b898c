package org.clusterkg.neo4jdev;

import java.nio.file.Path;
import org.neo4j.dbms.api.DatabaseManagementService;
import org.neo4j.dbms.api.DatabaseManagementServiceBuilder;

/**
 * Starts a Neo4j Community DBMS in this JVM and blocks until the process is asked to stop
 * (SIGTERM/SIGINT), then shuts the DBMS down cleanly.
 *
 * <p>Arguments: HOME_DIR CONF_FILE. The configuration file (written by scripts/neo4j-dev) holds the
 * Bolt address, memory bounds and authentication; the same file serves neo4j-admin, so the initial
 * password and bulk imports use the very settings the server runs with.
 */
public final class Neo4jDev {
    private Neo4jDev() {}

    public static void main(String[] args) throws InterruptedException {
        if (args.length != 2) {
            System.err.println("usage: Neo4jDev HOME_DIR CONF_FILE");
            System.exit(2);
        }
        long started = System.nanoTime();
        Path home = Path.of(args[0]).toAbsolutePath();
        Path conf = Path.of(args[1]).toAbsolutePath();
        DatabaseManagementService dbms =
                new DatabaseManagementServiceBuilder(home).loadPropertiesFromFile(conf).build();
        // Fail fast (and visibly) if the default database did not come up.
        dbms.database("neo4j").executeTransactionally("RETURN 1");
        Runtime.getRuntime().addShutdownHook(new Thread(() -> {
            dbms.shutdown();
            System.out.println("STOPPED");
            System.out.flush();
        }));
        long millis = (System.nanoTime() - started) / 1_000_000;
        System.out.println("READY in " + millis + " ms");
        System.out.flush();
        Thread.currentThread().join();
    }
}
