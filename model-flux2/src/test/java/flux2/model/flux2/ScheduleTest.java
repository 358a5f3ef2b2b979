package flux2.model.flux2;

import static org.junit.jupiter.api.Assertions.assertEquals;

import org.junit.jupiter.api.Test;

/** The schedule against values of the reference sampler (compute_empirical_mu and get_schedule of black-forest-labs/flux2). */
class ScheduleTest {
    @Test
    void empiricalMuMatchesCheckValues() {
        assertEquals(2.023351, Schedule.empiricalMu(4096, 50), 5e-7);
        assertEquals(2.021677, Schedule.empiricalMu(4080, 50), 5e-7);
        assertEquals(2.151443, Schedule.empiricalMu(4096, 28), 5e-7);
        assertEquals(3.229986, Schedule.empiricalMu(16384, 50), 5e-7);
    }

    @Test
    void scheduleMatchesCheckValues() {
        double[] t = Schedule.timesteps(50, 4096);
        assertEquals(51, t.length);
        double[] head = {1.0, 0.997309, 0.994521, 0.991632};
        for (int i = 0; i < head.length; i++) assertEquals(head[i], t[i], 5e-7, "t[" + i + "]");
        assertEquals(0.239631, t[48], 5e-7);
        assertEquals(0.133719, t[49], 5e-7);
        assertEquals(0.0, t[50]);
    }
}
