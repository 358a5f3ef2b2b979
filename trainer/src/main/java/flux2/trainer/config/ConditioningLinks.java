package flux2.trainer.config;

import flux2.trainer.config.DatasetConfig.DatasetType;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * Checks the pairing of conditioning datasets with image datasets in multidatabackend.json: every id an image
 * dataset lists in conditioning_data must be an enabled conditioning dataset, and every conditioning dataset must be
 * paired with an image dataset, through that image dataset's conditioning_data or through its own source_dataset_id
 * (which then adds it to the image dataset's list).
 */
final class ConditioningLinks {
    private ConditioningLinks() {}

    /** The datasets with source_dataset_id links folded into conditioning_data; problems reported under {@code file}. */
    static List<DatasetConfig> link(String file, List<DatasetConfig> datasets, Map<String, String> sources, Problems problems) {
        Map<String, DatasetConfig> byId = new LinkedHashMap<>();
        for (DatasetConfig d : datasets) byId.put(d.id(), d);
        Map<String, List<String>> paired = new LinkedHashMap<>();
        for (DatasetConfig d : datasets) {
            if (d.datasetType() != DatasetType.IMAGE) continue;
            List<String> ids = new ArrayList<>();
            for (String c : d.conditioningData()) {
                DatasetConfig target = byId.get(c);
                if (target == null || target.datasetType() != DatasetType.CONDITIONING)
                    problems.error(file, "conditioning_data", "dataset '" + d.id() + "' names '" + c + "', which is not an enabled dataset_type conditioning dataset in this file");
                else if (ids.contains(c)) problems.error(file, "conditioning_data", "dataset '" + d.id() + "' names '" + c + "' twice");
                else ids.add(c);
            }
            paired.put(d.id(), ids);
        }
        for (var e : sources.entrySet()) {
            DatasetConfig c = byId.get(e.getKey());
            if (c.datasetType() != DatasetType.CONDITIONING) {
                problems.error(file, "source_dataset_id", "dataset '" + c.id() + "': only conditioning datasets name a source dataset");
                continue;
            }
            List<String> list = paired.get(e.getValue());
            if (list == null) problems.error(file, "source_dataset_id", "conditioning dataset '" + c.id() + "' names source '" + e.getValue() + "', which is not an enabled image dataset in this file");
            else if (!list.contains(c.id())) list.add(c.id());
        }
        for (DatasetConfig c : datasets) {
            if (c.datasetType() != DatasetType.CONDITIONING) continue;
            List<String> owners = paired.entrySet().stream().filter(p -> p.getValue().contains(c.id())).map(Map.Entry::getKey).toList();
            if (owners.isEmpty())
                problems.error(file, "conditioning_data", "conditioning dataset '" + c.id() + "' is not paired with an image dataset: add \"conditioning_data\": \""
                        + c.id() + "\" to the image dataset whose files it matches (or give it \"source_dataset_id\")");
        }
        List<DatasetConfig> out = new ArrayList<>();
        for (DatasetConfig d : datasets) {
            List<String> ids = paired.get(d.id());
            out.add(ids == null || ids.equals(d.conditioningData()) ? d : withConditioningData(d, ids));
        }
        return out;
    }

    private static DatasetConfig withConditioningData(DatasetConfig d, List<String> ids) {
        return new DatasetConfig(d.id(), d.datasetType(), d.instanceDataDir(), d.crop(), d.cropStyle(), d.cropAspect(), d.resolution(),
                d.resolutionType(), d.minimumImageSize(), d.minimumAspectRatio(), d.maximumAspectRatio(), d.cacheDirVae(), d.captionStrategy(),
                d.instancePrompt(), d.prependInstancePrompt(), d.onlyInstancePrompt(), d.disableMultilineSplit(), d.repeats(), d.textEmbeds(),
                d.isDefault(), d.cacheDir(), d.writeBatchSize(), d.textEncoderBatchSize(), d.aspectBucketRounding(), d.disableBucketPruning(),
                d.conditioningType(), List.copyOf(ids), d.maxImagePixels());
    }
}
