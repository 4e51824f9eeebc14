import { StorageError } from '@store/backend-core';
import { checkString } from './input.js';
import { dataTypeValue } from './proto/index.js';
import { LayoutType, decodeMessage, encodeMessage } from './proto/plugins.js';
import { pluginOnlyMetadata, type PluginValue } from './plugin-value.js';

/** SummaryMetadata.plugin_data.plugin_name of the custom scalars dashboard's layout. */
export const PLUGIN_CUSTOM_SCALARS = 'custom_scalars';
/** The tag TensorBoard's custom scalars plugin reads the layout from. */
export const CUSTOM_SCALARS_TAG = 'custom_scalars__config__';

/**
 * PyTorch's `add_custom_scalars` layout: category title → chart title → chart. A
 * `['Multiline', tagRegexes]` chart draws every tag matching any regex; a
 * `['Margin', [value, lower, upper]]` chart fills between the lower and upper tags.
 */
export type CustomScalarsLayout = Record<string, Record<string, CustomScalarChart>>;
export type CustomScalarChart = readonly ['Multiline', readonly string[]] | readonly ['Margin', readonly [string, string, string]];

/** The decoded `tensorboard.Layout` (tensorboard/plugins/custom_scalar/layout.proto). */
export interface CustomScalarsLayoutData {
  version: number;
  categories: Array<{
    title: string;
    closed: boolean;
    charts: Array<{
      title: string;
      multiline?: { tags: string[] };
      margin?: { series: Array<{ value: string; lower: string; upper: string }> };
    }>;
  }>;
}

/** Checks a layout and converts it to a `tensorboard.Layout` object, keeping insertion order (as PyTorch iterates dicts). */
function layoutMessage(layout: CustomScalarsLayout): Record<string, unknown> {
  if (typeof layout !== 'object' || layout === null || Array.isArray(layout)) throw new StorageError('EINVAL', 'layout must be an object of categories', { field: 'layout' });
  const category = Object.entries(layout).map(([title, charts]) => {
    checkString(title, 'layout category title');
    if (typeof charts !== 'object' || charts === null || Array.isArray(charts)) throw new StorageError('EINVAL', `layout['${title}'] must be an object of charts`, { field: `layout.${title}` });
    const chart = Object.entries(charts).map(([chartTitle, spec]) => {
      const field = `layout.${title}.${chartTitle}`;
      checkString(chartTitle, field);
      if (!Array.isArray(spec) || spec.length !== 2 || !Array.isArray(spec[1])) throw new StorageError('EINVAL', `${field} must be ['Multiline', tags] or ['Margin', [value, lower, upper]]`, { field });
      const tags = (spec[1] as unknown[]).map((t, i) => checkString(t, `${field}[${i}]`, { nonEmpty: true }));
      if (spec[0] === 'Margin') {
        if (tags.length !== 3) throw new StorageError('EINVAL', `${field}: a Margin chart takes exactly [value, lower, upper]`, { field });
        return { title: chartTitle, margin: { series: [{ value: tags[0], lower: tags[1], upper: tags[2] }] } };
      }
      if (spec[0] !== 'Multiline') throw new StorageError('EINVAL', `${field}: chart type must be 'Multiline' or 'Margin'`, { field });
      return { title: chartTitle, multiline: { tag: tags } };
    });
    return { title, chart };
  });
  return { category };
}

/**
 * What PyTorch's `custom_scalars` writes: tag `custom_scalars__config__`, a rank-0 DT_STRING
 * tensor holding the serialized `tensorboard.Layout`, metadata plugin `custom_scalars` with no
 * content.
 */
export function customScalarsValue(layout: CustomScalarsLayout): PluginValue {
  const bytes = encodeMessage(LayoutType, layoutMessage(layout));
  const tensor = { dtype: dataTypeValue('DT_STRING'), tensorShape: {}, stringVal: [bytes] };
  return { tag: CUSTOM_SCALARS_TAG, metadata: pluginOnlyMetadata(PLUGIN_CUSTOM_SCALARS), data: { tensor } };
}

/** Decodes a serialized `tensorboard.Layout`; throws (protobufjs) on bytes that are not one. */
export function decodeLayout(bytes: Uint8Array): CustomScalarsLayoutData {
  const m = decodeMessage(LayoutType, bytes) as { version: number; category: Array<Record<string, unknown>> };
  return {
    version: m.version,
    categories: m.category.map((c) => ({
      title: c.title as string,
      closed: c.closed as boolean,
      charts: (c.chart as Array<Record<string, unknown>>).map((ch) => {
        const out: CustomScalarsLayoutData['categories'][number]['charts'][number] = { title: ch.title as string };
        const multiline = ch.multiline as { tag: string[] } | null | undefined;
        const margin = ch.margin as { series: Array<{ value: string; lower: string; upper: string }> } | null | undefined;
        if (multiline) out.multiline = { tags: multiline.tag };
        if (margin) out.margin = { series: margin.series.map((s) => ({ value: s.value, lower: s.lower, upper: s.upper })) };
        return out;
      }),
    })),
  };
}
