// A page object for Harbour in the browser: what a person does (sign in, fill a form, follow
// a link), found the way a person finds it (by label and by role), so a journey reads as steps
// and a missing label or a broken button fails the journey.
import type { Page, Response } from 'playwright-core';
import { generateSync } from 'otplib';
import type { Persona } from '../../src/testing/harness';

export class HarbourPage {
  constructor(readonly page: Page) {}

  /** Opens a path of the app; returns the final response (after any redirects). */
  async open(path: string): Promise<Response | null> {
    return this.page.goto(path, { waitUntil: 'load' });
  }

  /** The path (and query) the browser is on now. */
  path(): string {
    const u = new URL(this.page.url());
    return u.pathname + u.search;
  }

  async heading(): Promise<string> {
    return (await this.page.locator('h1').first().innerText()).trim();
  }

  /** Types into the field with this label. */
  async fill(label: string | RegExp, value: string) {
    await this.page.getByLabel(label, { exact: typeof label === 'string' }).fill(value);
  }

  /** Fills several labelled fields. */
  async fillForm(fields: Record<string, string>) {
    for (const [label, value] of Object.entries(fields)) await this.fill(label, value);
  }

  /** Presses the button with this name and waits for the page it leads to. */
  async submit(button: string | RegExp): Promise<Response | null> {
    const [response] = await Promise.all([
      this.page.waitForNavigation({ waitUntil: 'load' }),
      this.page.getByRole('button', { name: button, exact: typeof button === 'string' }).click(),
    ]);
    return response;
  }

  /** Follows the link with this name and waits for the page it leads to. */
  async follow(link: string | RegExp): Promise<Response | null> {
    const [response] = await Promise.all([
      this.page.waitForNavigation({ waitUntil: 'load' }),
      this.page.getByRole('link', { name: link, exact: typeof link === 'string' }).first().click(),
    ]);
    return response;
  }

  /** The texts in the error summary, or [] when there is none. */
  async errorSummary(): Promise<string[]> {
    const items = this.page.locator('.govuk-error-summary__list a');
    return (await items.allInnerTexts()).map((s) => s.trim());
  }

  /** The id of the element that has focus. */
  async focusedId(): Promise<string | null> {
    return this.page.evaluate(() => document.activeElement?.id || null);
  }

  /** Types the current code of an authenticator app holding this secret. */
  async enterSecurityCode(secret: string) {
    await this.fill('Security code', generateSync({ secret }));
  }

  /** Signs in with email and password, then the second factor when Harbour asks for it. */
  async signIn(p: Persona) {
    await this.open('/sign-in');
    await this.fillForm({ 'Email address': p.email, Password: p.password });
    await this.submit('Sign in');
    if (this.path().startsWith('/sign-in/two-factor')) {
      if (!p.totpSecret) throw new Error(`Harbour asked ${p.email} for a security code, but the persona has no authenticator secret`);
      await this.enterSecurityCode(p.totpSecret);
      await this.submit('Continue');
    }
    if (this.path().startsWith('/sign-in')) {
      throw new Error(`sign-in failed for ${p.email}: still on ${this.path()} (${(await this.errorSummary()).join('; ')})`);
    }
    return this;
  }

  async signOut() {
    await this.submit('Sign out');
  }
}
