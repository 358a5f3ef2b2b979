package flux2.app;

import static org.junit.jupiter.api.Assertions.*;

import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class ServerCommandTest {
    @TempDir Path root;

    @Test
    void theServerCommandIsRegisteredAndRefusesAnEnvironmentItCannotStart() {
        CliRun help = CliRun.of("server", "--help");
        assertEquals(0, help.code());
        for (String option : new String[] {"--host", "--port", "--token", "--env", "--root", "--stop-deadline"})
            assertTrue(help.out().contains(option), option + " in " + help.out());
        CliRun r = CliRun.of("server", "--port", "0", "--root", root.toString(), "--env", "absent");
        assertEquals(2, r.code(), r.out() + r.err());
        assertTrue(r.out().startsWith("flux2-trainer server on http://127.0.0.1:"), r.out());
        assertTrue(r.err().contains("cannot start environment absent: no environment 'absent': config/absent/config.json does not exist"), r.err());
    }

    @Test
    void aDeadlineUnderOneSecondIsRefused() {
        CliRun r = CliRun.of("server", "--port", "0", "--root", root.toString(), "--stop-deadline", "0");
        assertEquals(1, r.code());
        assertTrue(r.err().contains("--stop-deadline must be at least 1 second"), r.err());
    }
}
