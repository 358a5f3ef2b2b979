package flux2.launcher;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.util.Arrays;
import java.util.List;
import org.junit.jupiter.api.Test;

class LauncherTest {
    @Test
    void readsFeatureVersions() {
        assertEquals(8, Launcher.featureVersion("1.8"));
        assertEquals(17, Launcher.featureVersion("17"));
        assertEquals(25, Launcher.featureVersion("25"));
        assertEquals(26, Launcher.featureVersion("26-ea"));
        assertEquals(0, Launcher.featureVersion(null));
        assertEquals(0, Launcher.featureVersion("x"));
    }

    @Test
    void theRelaunchedJvmKeepsSystemPropertiesAndDropsOnlyItsOwnModuleFlags() {
        List<String> cmd = Launcher.relaunchCommand("/jdk/bin/java",
                Arrays.asList("-Dflux2.gpu.memoryLimit=8G", "--add-modules=jdk.incubator.vector", "-Xmx4g", "--enable-native-access=ALL-UNNAMED"),
                "app.jar", new String[]{"train", "--config", "c.json"});
        assertEquals(Arrays.asList("/jdk/bin/java", "--add-modules", "jdk.incubator.vector", "--enable-native-access=ALL-UNNAMED",
                "-Dflux2.gpu.memoryLimit=8G", "-Xmx4g", "-cp", "app.jar", "flux2.launcher.Launcher", "train", "--config", "c.json"), cmd);
    }
}
