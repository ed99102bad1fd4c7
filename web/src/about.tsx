import { useTranslation } from 'react-i18next';
import type { ListedClinician } from './catalog';

/** The clinician's languages and own words, when their profile has them. */
export function AboutLines({ c }: { c: Pick<ListedClinician, 'bio' | 'languages'> }) {
  const { t } = useTranslation();
  return (
    <>
      {c.languages?.length ? (
        <p className="muted languages">{t('search.languages', { list: c.languages.join(', ') })}</p>
      ) : null}
      {c.bio ? <p className="bio">{c.bio}</p> : null}
    </>
  );
}
