// The data pipeline's browser-safe surface: datasets, samplers, collate, DataLoader, transforms, IDX and CSV parsing.
export {
  ConcatDataset,
  Dataset,
  IterableDataset,
  randomSplit,
  Subset,
  TensorDataset,
  type BatchReader,
  type DatasetLike,
  type RandomSplitOptions,
} from './dataset.js';
export {
  BatchSampler,
  RandomSampler,
  randomInt64,
  Sampler,
  SequentialSampler,
  SubsetRandomSampler,
  WeightedRandomSampler,
  type RandomSamplerOptions,
  type SamplerLike,
  type Sized,
  type WeightedRandomSamplerOptions,
} from './sampler.js';
export { defaultCollate, defaultConvert, type Collated } from './collate.js';
export {
  DataLoader,
  DataLoaderAsyncIterator,
  DataLoaderIterator,
  nextTask,
  type DataLoaderOptions,
} from './dataloader.js';
export * as transforms from './transforms.js';
export type { ImageDataLike, RawImage, Transform } from './transforms.js';
export {
  encodeIdx,
  parseIdx,
  type IdxArray,
  type IdxData,
  type IdxExpect,
  type IdxType,
} from './idx.js';
export {
  csvDataset,
  CsvDataset,
  parseCsv,
  type CsvDatasetOptions,
  type CsvRecord,
  type ParseCsvOptions,
  type TargetDType,
} from './tabular.js';
