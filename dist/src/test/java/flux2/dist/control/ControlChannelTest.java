package flux2.dist.control;

import static org.junit.jupiter.api.Assertions.*;

import flux2.dist.Ranks;
import flux2.tensor.collective.CollectiveException;
import java.io.IOException;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;

/**
 * The rendezvous and the side channel: rank 0's payload reaches every rank, a collective that times out names the rank
 * that did not reach it and ends the others with the same message, a rank whose process ends is reported by name,
 * and a rendezvous that cannot happen says why within its timeout.
 */
class ControlChannelTest {
    static final long TOKEN = 77;

    static List<ControlChannel> connect(int n, byte[] payload) throws Exception {
        int port = Ranks.freePort();
        return Ranks.run(n, Duration.ofSeconds(20), env -> env.rank() == 0
                ? ControlChannel.host(n, "127.0.0.1", port, TOKEN, payload, Duration.ofSeconds(20))
                : ControlChannel.join(env.rank(), n, List.of("127.0.0.1"), port, TOKEN, Duration.ofSeconds(20)));
    }

    static void eventually(String what, java.util.function.BooleanSupplier ok) throws InterruptedException {
        long until = System.nanoTime() + TimeUnit.SECONDS.toNanos(10);
        while (!ok.getAsBoolean()) {
            if (System.nanoTime() > until) fail(what);
            Thread.sleep(10);
        }
    }

    @Test
    void aTimeoutNamesTheRankThatDidNotComeAndEndsTheOthers() throws Exception {
        List<ControlChannel> ch = connect(3, new byte[] {1, 2, 3});
        try {
            for (ControlChannel c : ch) assertArrayEquals(new byte[] {1, 2, 3}, c.payload());
            for (ControlChannel c : ch) c.arrive(1);
            ch.get(1).arrive(2);
            ch.get(0).arrive(2);
            eventually("rank 0 learns of rank 1's arrival", () -> ch.get(0).reached(1) == 2 && ch.get(0).reached(2) == 1);
            CollectiveException e = assertThrows(CollectiveException.class,
                    () -> CollectiveWait.await(() -> false, ch.get(0), 2, "all-reduce", Duration.ofMillis(300)));
            assertEquals("rank 0: all-reduce #2 did not complete within 0.3 s: rank 2 (last at #1) did not reach it", e.getMessage());
            eventually("the others are told", () -> ch.get(1).failure() != null && ch.get(2).failure() != null);
            assertEquals(e.getMessage(), ch.get(1).failure());
            assertEquals(e.getMessage(), ch.get(2).failure());
            // a rank that was waiting too stops with rank 0's message
            CollectiveException other = assertThrows(CollectiveException.class,
                    () -> CollectiveWait.await(() -> false, ch.get(1), 2, "all-reduce", Duration.ofSeconds(10)));
            assertEquals("rank 1: all-reduce #2 cannot complete: " + e.getMessage(), other.getMessage());
        } finally {
            ch.forEach(ControlChannel::close);
        }
    }

    @Test
    void aRankWhoseProcessEndsIsNamedOnEveryRank() throws Exception {
        List<ControlChannel> ch = connect(3, new byte[0]);
        try {
            ch.get(2).crashForTest();
            eventually("rank 0 sees it", () -> ch.get(0).failure() != null);
            assertEquals("rank 2's process ended (its connection to rank 0 closed)", ch.get(0).failure());
            eventually("rank 1 is told", () -> ch.get(1).failure() != null);
            assertEquals("rank 2's process ended (its connection to rank 0 closed)", ch.get(1).failure());
            CollectiveException e = assertThrows(CollectiveException.class,
                    () -> CollectiveWait.await(() -> false, ch.get(1), 5, "barrier", Duration.ofSeconds(10)));
            assertEquals("rank 1: barrier #5 cannot complete: rank 2's process ended (its connection to rank 0 closed)", e.getMessage());
        } finally {
            ch.forEach(ControlChannel::close);
        }
        List<ControlChannel> again = connect(2, new byte[0]);
        again.get(0).crashForTest();
        eventually("rank 1 sees rank 0 go", () -> again.get(1).failure() != null);
        assertEquals("rank 0's process ended (the connection to it closed)", again.get(1).failure());
        again.get(1).close();
    }

    @Test
    void aRankThatSaysGoodbyeIsNoFailure() throws Exception {
        List<ControlChannel> ch = connect(2, new byte[0]);
        ch.get(1).close();
        Thread.sleep(300);
        assertNull(ch.get(0).failure());
        ch.get(0).close();
    }

    @Test
    void aRendezvousThatCannotHappenSaysWhy() throws Exception {
        int port = Ranks.freePort();
        IOException alone = assertThrows(IOException.class, () -> ControlChannel.host(3, "127.0.0.1", port, TOKEN, new byte[0], Duration.ofMillis(800)));
        assertEquals("rendezvous at 127.0.0.1:" + port + ": ranks 1, 2 did not connect within 0.8 s (are they started, with the same MASTER_ADDR and MASTER_PORT?)",
                alone.getMessage());
        IOException nobody = assertThrows(IOException.class, () -> ControlChannel.join(1, 2, List.of("127.0.0.1"), port, TOKEN, Duration.ofMillis(800)));
        assertTrue(nobody.getMessage().startsWith("rendezvous: rank 1 cannot reach rank 0 at 127.0.0.1 port " + port + " within 0.8 s ("), nobody.getMessage());
        assertTrue(nobody.getMessage().endsWith("): is rank 0 running, and is MASTER_ADDR an address of its host that this one can reach?"), nobody.getMessage());
        IOException notHere = assertThrows(IOException.class, () -> ControlChannel.host(2, "192.0.2.1", port, TOKEN, new byte[0], Duration.ofMillis(500)));
        assertTrue(notHere.getMessage().startsWith("rendezvous: rank 0 cannot listen on 192.0.2.1:" + port + " ("), notHere.getMessage());
        // a rank of another job (another world size) is refused with the reason, and the rendezvous goes on waiting
        CompletableFuture<ControlChannel> host = CompletableFuture.supplyAsync(() -> {
            try {
                return ControlChannel.host(2, "127.0.0.1", port, TOKEN, new byte[0], Duration.ofSeconds(20));
            } catch (IOException e) {
                throw new RuntimeException(e);
            }
        });
        IOException stranger = assertThrows(IOException.class, () -> ControlChannel.join(1, 4, List.of("127.0.0.1"), port, TOKEN, Duration.ofSeconds(20)));
        assertTrue(stranger.getMessage().endsWith("it was started for a world of 4, this job has 2"), stranger.getMessage());
        ControlChannel one = ControlChannel.join(1, 2, List.of("127.0.0.1"), port, TOKEN, Duration.ofSeconds(20));
        ControlChannel zero = host.get(20, TimeUnit.SECONDS);
        one.close();
        zero.close();
    }
}
