import { StorageError } from '@store/backend-core';

export interface ImageInfo {
  format: 'png' | 'jpeg';
  width: number;
  height: number;
  /** Summary.Image colorspace: 1 gray, 2 gray+alpha, 3 RGB, 4 RGBA. */
  colorspace: number;
}

/**
 * Reads the size and channel layout from a PNG IHDR or a JPEG SOF header, so callers can
 * pass just the encoded bytes. Anything else is rejected: TensorBoard shows PNG and JPEG.
 */
export function inspectImage(bytes: Uint8Array, field = 'image'): ImageInfo {
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  if (bytes.length >= 26 && bytes[0] === 0x89 && bytes[1] === 0x50 && bytes[2] === 0x4e && bytes[3] === 0x47 && view.getUint32(12) === 0x49484452) {
    const colorType = bytes[25]!;
    const colorspace = colorType === 0 ? 1 : colorType === 4 ? 2 : colorType === 6 ? 4 : 3;
    return { format: 'png', width: view.getUint32(16), height: view.getUint32(20), colorspace };
  }
  if (bytes.length >= 4 && bytes[0] === 0xff && bytes[1] === 0xd8) {
    let p = 2;
    while (p + 4 <= bytes.length) {
      if (bytes[p] !== 0xff) break;
      const marker = bytes[p + 1]!;
      if (marker === 0xff) {
        p++;
        continue;
      }
      if (marker === 0x01 || (marker >= 0xd0 && marker <= 0xd9)) {
        p += 2;
        continue;
      }
      const length = view.getUint16(p + 2);
      const isSof = marker >= 0xc0 && marker <= 0xcf && marker !== 0xc4 && marker !== 0xc8 && marker !== 0xcc;
      if (isSof && p + 10 <= bytes.length) {
        const components = bytes[p + 9]!;
        return { format: 'jpeg', height: view.getUint16(p + 5), width: view.getUint16(p + 7), colorspace: components === 1 ? 1 : 3 };
      }
      p += 2 + length;
    }
    throw new StorageError('EINVAL', 'JPEG image without a frame header', { field });
  }
  throw new StorageError('EINVAL', 'image must be encoded PNG or JPEG bytes', { field });
}
