package flux2.trainer.config;

import static flux2.trainer.config.ConfigLoaderTest.assertContains;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertThrows;

import flux2.quant.Precision;
import flux2.trainer.config.DatasetConfig.CropStyle;
import flux2.trainer.config.TrainConfig.GuidanceMode;
import flux2.trainer.config.Training.OptimizerName;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import org.junit.jupiter.api.Test;

/** Each enumeration key allows exactly the constants of one enum, and every value it accepts reads as one of them. */
class ConfigChoicesTest {
    @Test
    void everyAcceptedValueOfEveryEnumerationKeyReadsAsAConstantOfItsEnum() {
        int keys = 0;
        for (KeyTable t : List.of(ConfigKeys.TABLE, DatasetKeys.TABLE))
            for (KeyDef d : t.defs()) {
                if (d.kind() != KeyDef.Kind.ENUM) continue;
                keys++;
                List<String> accepted = new ArrayList<>(d.allowed());
                accepted.addAll(d.substitutes().keySet());
                for (String v : accepted) assertNotNull(constant(d, v), d.name() + " " + v);
            }
        assertEquals(29, keys, "enumeration keys of config.json and multidatabackend.json");
    }

    @SuppressWarnings({"unchecked", "rawtypes"})
    private static Object constant(KeyDef d, String value) {
        return d.constant(value, (Class) d.choices());
    }

    @Test
    void spellingsThatAreNotTheConstantsNameReadAsTheirConstant() {
        KeyDef style = DatasetKeys.TABLE.lookup("crop_style");
        assertEquals(List.of("random", "center", "centre", "corner"), style.allowed());
        assertEquals(CropStyle.CENTER, style.constant("centre", CropStyle.class));
        assertEquals(CropStyle.RANDOM, style.constant("face", CropStyle.class), "SimpleTuner's face crop runs as random");
        assertEquals(GuidanceMode.RANDOM_RANGE, ConfigKeys.TABLE.lookup("flux_guidance_mode").constant("random-range", GuidanceMode.class));
        WeightPrecision quanto = ConfigKeys.TABLE.lookup("base_model_precision").constant("int8-quanto", WeightPrecision.class);
        assertEquals(WeightPrecision.INT8_QUANTO, quanto);
        assertEquals(Precision.INT8, quanto.precision());
        assertEquals("int8-quanto", quanto.configName(), "messages repeat the name the file used");
        assertEquals(OptimizerName.ADAMW, ConfigKeys.TABLE.lookup("optimizer").constant("adamw_bf16", OptimizerName.class),
                "SimpleTuner's default optimizer runs as adamw");
    }

    @Test
    void readingAKeyAsAnotherEnumIsAProgrammingError() {
        var e = assertThrows(IllegalArgumentException.class, () -> ConfigKeys.TABLE.lookup("lora_format").constant("diffusers", CropStyle.class));
        assertContains(e.getMessage(), "lora_format");
        assertContains(e.getMessage(), "LoraFormat");
    }

    @Test
    void aTableRefusesSubstitutesAndDefaultsThatStandForNoConstant() {
        var sub = assertThrows(IllegalArgumentException.class, () -> new KeyTable(
                List.of(KeyDef.choice("grad_clip_method", "value", Training.ClipMethod.class).substitute("clip", "hard")), Set.of(), List.of()));
        assertContains(sub.getMessage(), "grad_clip_method: substitute 'clip' runs as 'hard', which is none of [value, norm]");
        var def = assertThrows(IllegalArgumentException.class, () -> new KeyTable(
                List.of(KeyDef.choice("grad_clip_method", "hard", Training.ClipMethod.class)), Set.of(), List.of()));
        assertContains(def.getMessage(), "grad_clip_method: default 'hard' is none of [value, norm]");
        var both = assertThrows(IllegalArgumentException.class, () -> new KeyTable(
                List.of(KeyDef.choice("grad_clip_method", "value", Training.ClipMethod.class).notImplemented("norm")), Set.of(), List.of()));
        assertContains(both.getMessage(), "'norm' both implemented and not");
    }
}
