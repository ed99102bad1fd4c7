import type { TFunction } from 'i18next';
import type { ReactNode } from 'react';
import { useTranslation } from 'react-i18next';

/** The admin lists' filter bar and controls: every change narrows the list at once (no submit). */

export const PAY_STATUSES = ['CREATED', 'SUCCEEDED', 'FAILED', 'EXPIRED', 'PARTIALLY_REFUNDED', 'REFUNDED'];

export type Option = { value: string; label: string };

/** Payment statuses as options, in words. */
export const payStatusOptions = (t: TFunction): Option[] =>
  PAY_STATUSES.map((s) => ({ value: s, label: t(`payStatus.${s}`, { defaultValue: s }) }));

export function FilterBar({ children }: { children: ReactNode }) {
  const { t } = useTranslation();
  return (
    <form className="filters wrap" onSubmit={(e) => e.preventDefault()} aria-label={t('admin.filters')}>
      {children}
    </form>
  );
}

/** A labelled select whose first option, "any", clears the filter. */
export function SelectFilter(props: {
  label: string;
  value: string;
  onChange: (value: string) => void;
  options: Option[];
}) {
  const { t } = useTranslation();
  return (
    <label>
      {props.label}
      <select value={props.value} onChange={(e) => props.onChange(e.target.value)}>
        <option value="">{t('admin.any')}</option>
        {props.options.map((o) => (
          <option key={o.value} value={o.value}>
            {o.label}
          </option>
        ))}
      </select>
    </label>
  );
}

/** A labelled day (`YYYY-MM-DD`, the browser's calendar). */
export function DateFilter(props: { label: string; value: string; onChange: (value: string) => void }) {
  return (
    <label>
      {props.label}
      <input type="date" value={props.value} onChange={(e) => props.onChange(e.target.value)} />
    </label>
  );
}
