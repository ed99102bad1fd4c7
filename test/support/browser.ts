import { type Browser, chromium } from 'playwright-core';

/**
 * Debian's chromium (`apt-get install chromium`) driven by playwright-core; Playwright's own browser
 * download does not work on these machines. The flags keep it off the network this sandbox refuses.
 */
export function launchChromium(): Promise<Browser> {
  return chromium.launch({
    executablePath: '/usr/bin/chromium',
    args: [
      '--headless',
      '--no-sandbox',
      '--disable-gpu',
      '--disable-background-networking',
      '--disable-component-update',
      '--no-first-run',
    ],
  });
}
