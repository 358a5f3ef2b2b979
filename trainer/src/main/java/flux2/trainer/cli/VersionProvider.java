package flux2.trainer.cli;

import java.io.IOException;
import java.io.InputStream;
import java.util.Properties;
import picocli.CommandLine;

/** Reads the version that the build wrote into the jar. */
public final class VersionProvider implements CommandLine.IVersionProvider {
    /** The project version, or "unknown" outside a built jar. */
    public static String version() {
        try (InputStream in = VersionProvider.class.getResourceAsStream("/flux2/version.properties")) {
            if (in == null) return "unknown";
            Properties p = new Properties();
            p.load(in);
            return p.getProperty("version", "unknown");
        } catch (IOException e) {
            return "unknown";
        }
    }

    @Override
    public String[] getVersion() {
        return new String[]{"flux2-trainer " + version() + " (Java " + Runtime.version() + ")"};
    }
}
