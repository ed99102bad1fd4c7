import { useQuery } from '@tanstack/react-query';
import { api, type Money } from './api';

export type Centre = { id: string; name: string; city: string; address: string; timeZone: string };
export type ListedClinician = {
  id: string;
  fullName: string;
  specialization: string;
  modes: string[];
  fee: Money;
  centres: Centre[];
};

/** The clinician search list (name or specialization, mode); one cache for every page that lists. */
export function useClinicians(q: string, mode: string) {
  const params = new URLSearchParams();
  if (q) params.set('q', q);
  if (mode) params.set('mode', mode);
  return useQuery({
    queryKey: ['clinicians', q, mode],
    queryFn: () => api<ListedClinician[]>('GET', `/api/clinicians?${params}`),
  });
}
