import { useQuery } from '@tanstack/react-query';
import { api, type Money } from './api';

export type Centre = { id: string; name: string; city: string; address: string; timeZone: string };
/** The first slot one can book now; `startAt` is written with the clinician's offset, as slot listings write it. */
export type NextSlot = { startAt: string; endAt: string; mode: string; centreId: string | null };
export type ListedClinician = {
  id: string;
  fullName: string;
  specialization: string;
  modes: string[];
  fee: Money;
  centres: Centre[];
  timeZone: string;
  bio?: string | null;
  languages?: string[];
  /** Null when nothing is free within `bookingHorizonDays` (absent from servers without it). */
  nextAvailableSlot?: NextSlot | null;
  bookingHorizonDays?: number;
};

/** The clinician search list (name or specialization, mode, centre); one cache for every page that lists. */
export function useClinicians(filters: { q?: string; mode?: string; centreId?: string }) {
  const params = new URLSearchParams();
  for (const [k, v] of Object.entries(filters)) if (v) params.set(k, v);
  return useQuery({
    queryKey: ['clinicians', params.toString()],
    queryFn: () => api<ListedClinician[]>('GET', `/api/clinicians?${params}`),
  });
}

export function useCentres() {
  return useQuery({
    queryKey: ['centres'],
    queryFn: () => api<Centre[]>('GET', '/api/centres'),
    staleTime: 300_000,
  });
}

export function useClinician(id: string | undefined) {
  return useQuery({
    queryKey: ['clinician', id],
    enabled: !!id,
    queryFn: () => api<ListedClinician>('GET', `/api/clinicians/${id}`),
    staleTime: 300_000,
  });
}

export const initials = (name: string) =>
  name
    .replace(/^Dr\.?\s+/i, '')
    .split(/\s+/)
    .slice(0, 2)
    .map((w) => w[0]?.toUpperCase() ?? '')
    .join('');

/** A map link for an address (opens the maps site; nothing is sent until the user follows it). */
export const mapLink = (c: { name: string; address: string; city: string }) =>
  `https://www.google.com/maps/search/?api=1&query=${encodeURIComponent(`${c.name}, ${c.address}, ${c.city}`)}`;
