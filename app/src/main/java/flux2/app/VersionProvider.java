package flux2.app;

import flux2.trainer.Version;
import picocli.CommandLine;

/** The text of --version: the project version and the Java runtime. */
public final class VersionProvider implements CommandLine.IVersionProvider {
    @Override
    public String[] getVersion() {
        return new String[]{"flux2-trainer " + Version.get() + " (Java " + Runtime.version() + ")"};
    }
}
