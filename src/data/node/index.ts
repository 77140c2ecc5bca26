// The data pipeline's Node-only surface: files, downloads and the datasets that live on disk.
export { isGzip, maybeGunzip, readIdx } from './idx.js';
export {
  checkIntegrity,
  downloadFile,
  md5Hex,
  writeAtomic,
  type DownloadOptions,
} from './download.js';
export { FashionMNIST, MNIST, type MNISTOptions } from './mnist.js';
export { Digits, digitsPath, type DigitsOptions } from './digits.js';
export { loadCsv } from './csv.js';
