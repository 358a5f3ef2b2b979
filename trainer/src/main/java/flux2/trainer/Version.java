package flux2.trainer;

import java.io.IOException;
import java.io.InputStream;
import java.util.Properties;

/** The project version that the build wrote into the trainer's resources. */
public final class Version {
    private Version() {}

    /** The project version, or "unknown" outside a built jar. */
    public static String get() {
        try (InputStream in = Version.class.getResourceAsStream("/flux2/version.properties")) {
            if (in == null) return "unknown";
            Properties p = new Properties();
            p.load(in);
            return p.getProperty("version", "unknown");
        } catch (IOException e) {
            return "unknown";
        }
    }
}
