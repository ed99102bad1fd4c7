import type { Money } from './api';
import { locale } from './i18n';

/** The patient's (the browser's) own time zone. */
export const myZone = () => Intl.DateTimeFormat().resolvedOptions().timeZone;

export const formatMoney = (m: Money) =>
  new Intl.NumberFormat(locale(), { style: 'currency', currency: m.currency }).format(m.amount / 100);

const dayAndTime = {
  weekday: 'short',
  day: 'numeric',
  month: 'short',
  hour: '2-digit',
  minute: '2-digit',
} as const satisfies Intl.DateTimeFormatOptions;

export const formatDateTime = (iso: string | Date, timeZone?: string) =>
  new Intl.DateTimeFormat(locale(), { ...dayAndTime, timeZone, timeZoneName: 'short' }).format(new Date(iso));

/** A slot's start for a one-line mention ("Tue, 3 Dec, 10:30 am"), without the zone's name. */
export const formatSlotStart = (iso: string | Date, timeZone?: string) =>
  new Intl.DateTimeFormat(locale(), { ...dayAndTime, timeZone }).format(new Date(iso));

export const formatDay = (iso: string | Date, timeZone?: string) =>
  new Intl.DateTimeFormat(locale(), { weekday: 'long', day: 'numeric', month: 'long', timeZone }).format(
    new Date(iso),
  );

export const formatDate = (iso: string | Date, timeZone?: string) =>
  new Intl.DateTimeFormat(locale(), { day: 'numeric', month: 'short', year: 'numeric', timeZone }).format(
    new Date(iso),
  );

export const clockTime = (iso: string | Date, timeZone?: string) =>
  new Intl.DateTimeFormat(locale(), { hour: '2-digit', minute: '2-digit', timeZone }).format(new Date(iso));

/** YYYY-MM-DD of an instant in a zone (the browser's by default). */
export const isoDay = (d: Date, timeZone?: string) =>
  new Intl.DateTimeFormat('en-CA', { timeZone, year: 'numeric', month: '2-digit', day: '2-digit' }).format(d);

export const addDays = (d: Date, days: number) => new Date(d.getTime() + days * 86_400_000);
