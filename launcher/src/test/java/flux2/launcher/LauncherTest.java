package flux2.launcher;

import static org.junit.jupiter.api.Assertions.assertEquals;

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
}
