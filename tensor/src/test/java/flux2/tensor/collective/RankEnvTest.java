package flux2.tensor.collective;

import static org.junit.jupiter.api.Assertions.*;

import java.time.Duration;
import java.util.Map;
import org.junit.jupiter.api.Test;

/** Ranks as mpirun and torchrun describe them, and errors that name the variable. */
class RankEnvTest {
    @Test
    void mpirunRanks() {
        RankEnv e = RankEnv.detect(Map.of("OMPI_COMM_WORLD_SIZE", "4", "OMPI_COMM_WORLD_RANK", "3", "OMPI_COMM_WORLD_LOCAL_RANK", "1",
                "OMPI_COMM_WORLD_LOCAL_SIZE", "2", "FLUX2_DIST_TIMEOUT", "2.5"));
        assertEquals(new RankEnv(3, 4, 1, 2, RankEnv.Launcher.MPIRUN, null, 0, Duration.ofMillis(2500), RankEnv.DEFAULT_PHASE_TIMEOUT), e);
        assertTrue(e.distributed());
    }

    @Test
    void torchrunRanks() {
        RankEnv e = RankEnv.detect(Map.of("RANK", "1", "WORLD_SIZE", "2", "LOCAL_RANK", "1", "MASTER_ADDR", "10.0.0.7", "MASTER_PORT", "29500"));
        assertEquals(new RankEnv(1, 2, 1, 2, RankEnv.Launcher.TORCHRUN, "10.0.0.7", 29500, RankEnv.DEFAULT_TIMEOUT, RankEnv.DEFAULT_PHASE_TIMEOUT), e);
        assertFalse(RankEnv.detect(Map.of("RANK", "0", "WORLD_SIZE", "1")).distributed());
        assertFalse(RankEnv.detect(Map.of()).distributed());
    }

    @Test
    void badVariablesAreNamed() {
        assertEquals("RANK=2 is out of range: expected a whole number from 0 to 1",
                assertThrows(IllegalArgumentException.class, () -> RankEnv.detect(Map.of("RANK", "2", "WORLD_SIZE", "2"))).getMessage());
        assertEquals("WORLD_SIZE is 2 but MASTER_ADDR is not set: set it to the address of rank 0's host (127.0.0.1 on one machine)",
                assertThrows(IllegalArgumentException.class, () -> RankEnv.detect(Map.of("RANK", "0", "WORLD_SIZE", "2"))).getMessage());
        assertEquals("WORLD_SIZE is 2 but MASTER_PORT is not set: set it to a free TCP port of rank 0's host, the same on every rank",
                assertThrows(IllegalArgumentException.class, () -> RankEnv.detect(Map.of("RANK", "0", "WORLD_SIZE", "2", "MASTER_ADDR", "h"))).getMessage());
        assertEquals("MASTER_PORT='x' is not a whole number from 1 to 65535", assertThrows(IllegalArgumentException.class,
                () -> RankEnv.detect(Map.of("RANK", "0", "WORLD_SIZE", "2", "MASTER_ADDR", "h", "MASTER_PORT", "x"))).getMessage());
        assertEquals("RANK is set but WORLD_SIZE is not: a rank needs both (as torchrun sets them)",
                assertThrows(IllegalArgumentException.class, () -> RankEnv.detect(Map.of("RANK", "0"))).getMessage());
        assertEquals("FLUX2_DIST_TIMEOUT='0' is not a number of seconds above 0",
                assertThrows(IllegalArgumentException.class, () -> RankEnv.detect(Map.of("FLUX2_DIST_TIMEOUT", "0"))).getMessage());
    }
}
