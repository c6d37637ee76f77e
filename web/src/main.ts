// Entry point of the page: language, session, first view.
import { App } from './app.js';
import { initLang } from './i18n.js';
import { Session } from './session.js';
import { AccountView } from './views/account.js';
import { AuthView } from './views/auth.js';
import { CheckoutView } from './views/checkout.js';
import { ConcertsView } from './views/concerts.js';
import { JoiningView } from './views/joining.js';
import { RoomView } from './views/waiting-room.js';

initLang();
if (location.pathname === '/admin') {
  // The operators' console: its own chunk, fetched only here.
  void import('./admin/console.js').then((admin) => admin.startConsole());
} else startFansPage();

function startFansPage(): void {
  const session = new Session(location.origin);
  const app = new App(session, {
    concerts: (a) => new ConcertsView(a),
    auth: (a, then) => new AuthView(a, then),
    room: (a, room) => new RoomView(a, room),
    joining: (a, concert, joining) => new JoiningView(a, concert, joining),
    account: (a) => new AccountView(a),
    checkout: (a, reservation) => new CheckoutView(a, reservation),
  });
  app.show(new ConcertsView(app), false);
  void app.refreshBalance();
}
