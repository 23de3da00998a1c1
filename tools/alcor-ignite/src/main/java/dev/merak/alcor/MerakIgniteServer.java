/*
 * One Ignite server node for a local Alcor control plane. Upstream runs the Ignite 2.10.0 binary
 * distribution with Alcor's common jar in libs/ and peer class loading on (lib/ignite.Dockerfile);
 * this is the same server, configured for one machine: every socket on 127.0.0.1 (discovery
 * 47500, communication 47100, the thin-client connector Alcor's services use on 10800), static
 * discovery so it never looks for other nodes, no persistence. The common jar must be on the
 * classpath: the services' scan queries send com.futurewei.alcor.common.db.ignite.query.MapPredicate
 * to the server. Nothing else of Alcor's belongs there (web-*.jar kills the node at the first
 * NodeInfo it stores; ../shared/providers/alcor/README.md).
 *
 * Usage: java [JDK 17 --add-opens flags] -cp lib/*:common.jar dev.merak.alcor.MerakIgniteServer [offheapMiB]
 * Prints "merak-ignite: ready" on stdout once the client connector accepts connections.
 */
package dev.merak.alcor;

import java.util.Collections;
import org.apache.ignite.Ignite;
import org.apache.ignite.Ignition;
import org.apache.ignite.configuration.ClientConnectorConfiguration;
import org.apache.ignite.configuration.DataRegionConfiguration;
import org.apache.ignite.configuration.DataStorageConfiguration;
import org.apache.ignite.configuration.IgniteConfiguration;
import org.apache.ignite.spi.communication.tcp.TcpCommunicationSpi;
import org.apache.ignite.spi.discovery.tcp.TcpDiscoverySpi;
import org.apache.ignite.spi.discovery.tcp.ipfinder.vm.TcpDiscoveryVmIpFinder;

public final class MerakIgniteServer {
  private MerakIgniteServer() {}

  public static void main(String[] args) throws Exception {
    long offheapMiB = args.length > 0 ? Long.parseLong(args[0]) : 256;

    TcpDiscoveryVmIpFinder finder = new TcpDiscoveryVmIpFinder();
    finder.setAddresses(Collections.singletonList("127.0.0.1:47500"));
    TcpDiscoverySpi discovery = new TcpDiscoverySpi();
    discovery.setIpFinder(finder);
    discovery.setLocalAddress("127.0.0.1");
    discovery.setLocalPort(47500);
    discovery.setLocalPortRange(0);

    TcpCommunicationSpi communication = new TcpCommunicationSpi();
    communication.setLocalAddress("127.0.0.1");
    communication.setLocalPort(47100);
    communication.setLocalPortRange(0);

    ClientConnectorConfiguration connector = new ClientConnectorConfiguration();
    connector.setHost("127.0.0.1");
    connector.setPort(10800);
    connector.setPortRange(0);

    DataRegionConfiguration region = new DataRegionConfiguration();
    region.setName("default");
    region.setInitialSize(Math.min(offheapMiB, 256) * 1024L * 1024L);
    region.setMaxSize(offheapMiB * 1024L * 1024L);
    DataStorageConfiguration storage = new DataStorageConfiguration();
    storage.setDefaultDataRegionConfiguration(region);

    IgniteConfiguration cfg = new IgniteConfiguration();
    cfg.setIgniteInstanceName("merak-alcor");
    cfg.setLocalHost("127.0.0.1");
    cfg.setDiscoverySpi(discovery);
    cfg.setCommunicationSpi(communication);
    cfg.setClientConnectorConfiguration(connector);
    cfg.setDataStorageConfiguration(storage);
    cfg.setPeerClassLoadingEnabled(true);
    cfg.setMetricsLogFrequency(0);

    Ignite ignite = Ignition.start(cfg);
    Runtime.getRuntime().addShutdownHook(new Thread(() -> Ignition.stop(ignite.name(), true)));
    System.out.println("merak-ignite: ready");
    System.out.flush();
    Thread.currentThread().join();
  }
}
